#!/bin/bash
# lab/guest/with-layout.sh LAYOUT [SCRIPT [ARG...]] — INSIDE the guest: apply lab/layouts/LAYOUT.sh, then
# run SCRIPT (if given) with its arguments; exit status = the script's (or the layout's if it failed).
source "$LAB_DIR/guest/lib.sh"
LAYOUT=$1; shift
step "layout $LAYOUT"
( source "$LAB_DIR/layouts/$LAYOUT.sh" ) || { echo "FATAL: layout $LAYOUT failed"; exit 1; }
[ $# -ge 1 ] || exit 0
SCRIPT=$1; shift
bash "$SCRIPT" "$@"
