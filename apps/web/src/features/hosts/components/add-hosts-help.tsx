/** True for an address only this machine can reach (the default listen address of a hub). */
function isLoopback(hubUrl: string): boolean {
  if (!URL.canParse(hubUrl)) return false;
  const { hostname } = new URL(hubUrl);
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
}

/**
 * How an operator puts hosts into the fleet: one agent per pmem host, or a simulated host from a recorded tree.
 * Each agent enrolls once with a join token an admin creates (Admin → Agents, which also shows the full command).
 * The commands run from a daxfleet checkout (daxfleet is not installed on PATH). A simulated host gets its own
 * host id and data folder: without them it would take the host id in ./data of the local agent that
 * scripts/start.sh runs, and both agents would report as one host.
 */
export function AddHostsHelp({ hubUrl }: { hubUrl: string }) {
  return (
    <div className="add-hosts-help">
      <p>
        Run an agent on each host that has persistent memory, from a daxfleet checkout on that host; it reports to this hub.
        It enrolls once with a join token that an admin creates under Admin → Agents (the token works once; the agent then keeps its own credential):
      </p>
      <pre><code>{`pnpm exec daxfleet serve --role agent --hub-url ${hubUrl} --join-token <join token>`}</code></pre>
      <p>
        The hub must listen on an address those hosts can reach: start it with{' '}
        <code>pnpm exec daxfleet serve --host 0.0.0.0</code> or <code>DAXFLEET_HOST=0.0.0.0 bash scripts/start.sh</code>
        {isLoopback(hubUrl) && <>, and give the agents that address, not {new URL(hubUrl).host}</>}.
        {' '}Only enrolled agents can report, and only logged-in users and API tokens can read.
      </p>
      <p>
        To try daxfleet without pmem hardware, run a simulated host from the daxfleet checkout. It reads a sysfs
        tree recorded from a real kernel (<code>&lt;name&gt;</code> is a folder of <code>lab/fixtures</code>) and
        keeps its own host id and data folder:
      </p>
      <pre><code>{`pnpm exec daxfleet serve --role agent --hub-url ${hubUrl} --sysfs-root lab/fixtures/<name>/sys --hostname sim-1 --host-id sim-1 --data-dir data/sim-1 --join-token <join token>`}</code></pre>
    </div>
  );
}
