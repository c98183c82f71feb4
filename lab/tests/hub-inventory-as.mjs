// DAXFLEET_TOKEN=dxf_tok_… node lab/tests/hub-inventory-as.mjs HUB_URL HOST_ID ndctl|daxctl — fetches a host's
// current inventory from a hub (with a viewer-or-better API token)
// and prints it as `ndctl list -BDRNMX -v` / `daxctl list -DRM` would, with daxfleet's own formatters: what an
// agent in a lab guest reported, in the form the guest's ndctl and daxctl printed.
import { stringifyNdctl, toDaxctlList, toNdctlList } from '../../packages/dax-native/dist/index.js';

const [hub, hostId, format] = process.argv.slice(2);
if (!hub || !hostId || (format !== 'ndctl' && format !== 'daxctl')) {
  console.error('usage: hub-inventory-as.mjs HUB_URL HOST_ID ndctl|daxctl');
  process.exit(2);
}
const res = await fetch(`${hub}/api/v1/hosts/${encodeURIComponent(hostId)}/inventory`, {
  headers: { authorization: `Bearer ${process.env.DAXFLEET_TOKEN ?? ''}` },
});
if (!res.ok) {
  console.error(`hub answered ${res.status}: ${await res.text()}`);
  process.exit(1);
}
const { inventory } = await res.json();
const list = format === 'ndctl' ? toNdctlList(inventory) : toDaxctlList(inventory, { mappings: true });
process.stdout.write(stringifyNdctl(list));
