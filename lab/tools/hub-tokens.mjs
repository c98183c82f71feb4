// node lab/tools/hub-tokens.mjs HUB_URL ADMIN_PASSWORD [NAME] — logs in to a hub as its first admin ("admin",
// DAXFLEET_ADMIN_USERNAME to change) and prints "ADMIN_API_TOKEN JOIN_TOKEN": an admin-scope API token named NAME
// (default "lab") and a one-time join token for an agent. Used by the lab demo and the lab's agent test.
const [url, password, name = 'lab'] = process.argv.slice(2);
if (!url || !password) {
  console.error('usage: hub-tokens.mjs HUB_URL ADMIN_PASSWORD [NAME]');
  process.exit(2);
}
async function post(path, body, headers = {}) {
  const res = await fetch(`${url}/api/v1${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res;
}
try {
  const login = await post('/auth/login', { username: process.env.DAXFLEET_ADMIN_USERNAME ?? 'admin', password });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const admin = (await (await post('/tokens', { name, scope: 'admin' }, { cookie })).json()).token;
  const join = (await (await post('/agents/join-tokens', {}, { authorization: `Bearer ${admin}` })).json()).token;
  console.log(`${admin} ${join}`);
} catch (err) {
  console.error(`hub-tokens: ${err.message}`);
  process.exit(1);
}
