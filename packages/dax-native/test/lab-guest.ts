/**
 * What the lab tests share: whether the pmem lab can run here (lab/lab, QEMU, a guest kernel in
 * lab/.cache), and running a script in its guest. The guest shares the host's root read-only but has
 * its own /tmp, so the scripts go under /var/tmp.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const LAB = join(REPO, 'lab/lab');
export const LAB_CACHE = join(REPO, 'lab/.cache');

/** The guest kernel's version (lab/.cache/kernel-version), 'none' before `lab/lab setup`. */
export const GUEST_KERNEL = existsSync(join(LAB_CACHE, 'kernel-version'))
  ? readFileSync(join(LAB_CACHE, 'kernel-version'), 'utf8').trim()
  : 'none';

/**
 * Where native.nfit.test.ts builds tools/testing/nvdimm (nfit_test) for the guest kernel; the other nfit_test
 * lab tests use that build. Its modules/ holds the .ko files and is complete once it has modules/.complete.
 */
export const NFIT_TEST_BUILD = `/var/tmp/daxfleet-nfit-test/${GUEST_KERNEL}`;
export const NFIT_TEST_MODULES = `${NFIT_TEST_BUILD}/modules`;

/**
 * Builds tools/testing/nvdimm of the guest kernel against that kernel's Debian headers. Everything goes
 * under $1 (outside the repo; /var/tmp because the guest sees the host's disk but has its own /tmp).
 * Nothing is installed on this host. Idempotent: a complete build is marked by modules/.complete.
 */
const NFIT_TEST_PREPARE_SCRIPT = String.raw`
set -euo pipefail
dir=$1 kver=$2 debver=$3
mm=$(echo "$kver" | cut -d. -f1,2)                    # 6.1
abi=$(echo "$kver" | sed 's/-[a-z0-9]*$//')            # 6.1.0-56
mkdir -p "$dir"; cd "$dir"
[ -f modules/.complete ] && exit 0
rm -rf debs root linux-source-* modules
mkdir debs; chmod 777 debs                             # apt's _apt user downloads into it
( cd debs && apt-get download -q "linux-headers-$kver=$debver" "linux-headers-$abi-common=$debver" \
    "linux-kbuild-$mm=$debver" "linux-source-$mm=$debver" )
mkdir root
for deb in debs/*.deb; do dpkg-deb -x "$deb" root; done
hdr=$PWD/root/usr/src/linux-headers-$kver common=$PWD/root/usr/src/linux-headers-$abi-common
echo "include $common/Makefile" > "$hdr/Makefile"     # the packaged one points into /usr/src
tar -xJf "root/usr/src/linux-source-$mm.tar.xz" "linux-source-$mm/tools/testing/nvdimm" \
    "linux-source-$mm/drivers/nvdimm" "linux-source-$mm/drivers/acpi/nfit" "linux-source-$mm/drivers/dax"
# the test Kbuild adds -I$(srctree)/drivers/{nvdimm,acpi/nfit}; srctree is the headers tree here
mkdir -p "$common/drivers/acpi"
cp -r "linux-source-$mm/drivers/nvdimm" "$common/drivers/"
cp -r "linux-source-$mm/drivers/acpi/nfit" "$common/drivers/acpi/"
# the whole make output goes to a log that outlives this run; a failed build fails with its tail
log=$PWD/make.log
make -s -C "$hdr" M="$PWD/linux-source-$mm/tools/testing/nvdimm" -j"$(nproc)" modules >"$log" 2>&1 || {
  status=$?
  echo "building nfit_test failed (make exit status $status); last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
}
mkdir modules
cp linux-source-$mm/tools/testing/nvdimm/*.ko linux-source-$mm/tools/testing/nvdimm/test/*.ko modules/
rm -rf debs root "linux-source-$mm"
touch modules/.complete
`;

/** What building nfit_test needs on this host, besides the lab (for labUnavailable). */
export const NFIT_TEST_BUILD_NEEDS: LabRequirements = { commands: ['apt-get', 'make', 'flock'], cacheFiles: ['kernel-version'] };

/**
 * Builds nfit_test for the guest kernel into NFIT_TEST_BUILD unless a complete build is there. Every nfit_test lab
 * test calls it first: the build runs under a file lock, so tests that run in parallel build it once and the others
 * wait for it. Returns why it failed, or undefined.
 */
export function prepareNfitTest(): string | undefined {
  const kver = GUEST_KERNEL;
  let debs: string[] = [];
  try {
    debs = readdirSync(join(LAB_CACHE, 'debs'));
  } catch {
    // reported below
  }
  const debVersion = debs.find((f) => f.startsWith(`linux-image-${kver}_`))?.split('_')[1];
  if (debVersion === undefined) return `no linux-image-${kver}_*.deb in lab/.cache/debs (run lab/lab setup)`;
  mkdirSync(dirname(NFIT_TEST_BUILD), { recursive: true });
  const prepare = spawnSync('flock', [`${NFIT_TEST_BUILD}.lock`, 'bash', '-c', NFIT_TEST_PREPARE_SCRIPT, 'prepare', NFIT_TEST_BUILD, kver, debVersion], {
    stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8',
  });
  return prepare.status === 0 ? undefined : `preparing nfit_test in ${NFIT_TEST_BUILD} failed:\n${outputTail(prepare.stderr ?? '')}`;
}

/**
 * Guest shell lines that swap the libnvdimm stack for the nfit_test build: disable every region and DIMM, unload
 * the real modules, insmod the nfit_test ones from "$modules" (the script must set it), wait for udev. Exits 11
 * when an rmmod fails, 12 when an insmod does.
 */
export const NFIT_TEST_SWAP = String.raw`ndctl disable-region all >/dev/null; ndctl disable-dimm all >/dev/null
for m in dax_hmem kmem virtio_pmem nd_virtio dax_pmem device_dax nd_pmem nd_btt nd_e820 nfit libnvdimm; do
  if lsmod | grep -q "^$m "; then rmmod "$m" || exit 11; fi
done
for m in nfit_test_iomap libnvdimm nd_btt nd_pmem nd_e820 nfit device_dax dax_pmem nfit_test; do
  insmod "$modules/$m.ko" || exit 12
done
udevadm settle 2>/dev/null || sleep 1`;

export interface LabRequirements {
  /** commands needed on this host besides qemu-system-x86_64 */
  commands?: readonly string[];
  /** files needed in lab/.cache besides vmlinux and initramfs.cpio.gz */
  cacheFiles?: readonly string[];
  /** other files the test needs (e.g. the built dist/), by absolute path */
  files?: readonly string[];
}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(needs: LabRequirements = {}): string | undefined {
  if (!existsSync(LAB)) return `${LAB} missing`;
  for (const command of ['qemu-system-x86_64', ...(needs.commands ?? [])]) {
    if (spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status !== 0) return `no ${command}`;
  }
  for (const file of ['vmlinux', 'initramfs.cpio.gz', ...(needs.cacheFiles ?? [])]) {
    if (!existsSync(join(LAB_CACHE, file))) return `no lab/.cache/${file} (run lab/lab setup)`;
  }
  for (const file of needs.files ?? []) {
    if (!existsSync(file)) return `${file} missing (not built)`;
  }
  return undefined;
}

export interface GuestRun {
  /** exit status of `lab/lab run` (the guest script's), null when it was killed */
  status: number | null;
  /** stdout then stderr */
  output: string;
}

export interface GuestRunOptions {
  /** mkdtemp prefix of the scratch directory under /var/tmp */
  prefix: string;
  /** extra files written into the scratch directory, by name */
  files?: Readonly<Record<string, string>>;
  /** the shell script the guest runs, given the scratch directory */
  script: (dir: string) => string;
  /** arguments of the guest script */
  args?: readonly string[];
  /** `lab/lab run --layout NAME` */
  layout?: string;
  /** environment of lab/lab (NDIMM, REGION_MB, MEM, LAB_TIMEOUT, LAB_VERBOSE, ...) */
  env?: Readonly<Record<string, string>>;
}

/** Boots the lab guest, runs the script there and returns its output; the scratch directory is removed. */
export async function runInGuest(opts: GuestRunOptions): Promise<GuestRun> {
  const dir = await mkdtemp(`/var/tmp/${opts.prefix}`);
  try {
    for (const [name, text] of Object.entries(opts.files ?? {})) await writeFile(join(dir, name), text);
    await writeFile(join(dir, 'guest.sh'), opts.script(dir));
    const layout = opts.layout !== undefined ? ['--layout', opts.layout] : [];
    const run = spawnSync(LAB, ['run', ...layout, join(dir, 'guest.sh'), ...(opts.args ?? [])], {
      encoding: 'utf8',
      env: { ...process.env, ...opts.env },
      maxBuffer: 64 << 20,
    });
    if (run.error !== undefined) throw run.error;
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The last characters of a guest's output, for a failure message. */
export function outputTail(output: string, chars = 4000): string {
  return output.slice(-chars);
}

/** The JSON on the line that starts with `marker`; throws with the output's tail when there is none. */
export function jsonAfter<T>(output: string, marker: string): T {
  const line = output.split('\n').find((l) => l.startsWith(marker));
  if (line === undefined) throw new Error(`no ${marker.trim()} line in the guest output:\n${outputTail(output)}`);
  return JSON.parse(line.slice(marker.length)) as T;
}
