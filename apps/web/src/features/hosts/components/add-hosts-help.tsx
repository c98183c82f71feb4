/** How an operator puts hosts into the fleet: one agent per pmem host, or a simulated host from a recorded tree. */
export function AddHostsHelp({ hubUrl }: { hubUrl: string }) {
  return (
    <div className="add-hosts-help">
      <p>Run an agent on each host that has persistent memory; it reports to this hub:</p>
      <pre><code>{`daxfleet serve --role agent --hub-url ${hubUrl}`}</code></pre>
      <p>
        To try daxfleet without pmem hardware, run a simulated host that reads a sysfs tree recorded from a
        real kernel:
      </p>
      <pre><code>{`daxfleet serve --role agent --hub-url ${hubUrl} --sysfs-root lab/fixtures/<name>/sys --hostname sim-1`}</code></pre>
    </div>
  );
}
