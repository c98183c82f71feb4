import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { AddHostsHelp } from './add-hosts-help';

/** The value of `--flag VALUE` in a command line, or undefined when the flag is absent. */
function flag(command: string, name: string): string | undefined {
  const words = command.split(/\s+/);
  const index = words.indexOf(name);
  return index < 0 ? undefined : words[index + 1];
}

function commands(): string[] {
  return Array.from(document.querySelectorAll('pre'), (pre) => pre.textContent);
}

describe('AddHostsHelp', () => {
  it('gives an agent command that runs from the checkout and reports to this hub', () => {
    render(<AddHostsHelp hubUrl="http://10.0.0.5:7300" />);
    const agent = commands()[0] ?? '';
    expect(agent.startsWith('pnpm exec daxfleet serve --role agent')).toBe(true);
    expect(flag(agent, '--hub-url')).toBe('http://10.0.0.5:7300');
    // an agent enrolls with a join token an admin creates
    expect(flag(agent, '--join-token')).toBe('<join');
    expect(agent.endsWith('--join-token <join token>')).toBe(true);
    expect(screen.getAllByText(/Admin → Agents/).length).toBeGreaterThan(0);
    expect(screen.getAllByText(/from a daxfleet checkout/).length).toBeGreaterThan(0);
  });

  it('gives a simulated host its own host id and data folder, so it does not report as the local agent', () => {
    render(<AddHostsHelp hubUrl="http://10.0.0.5:7300" />);
    const simulated = commands()[1] ?? '';
    expect(simulated.startsWith('pnpm exec daxfleet serve --role agent')).toBe(true);
    expect(flag(simulated, '--hub-url')).toBe('http://10.0.0.5:7300');
    expect(flag(simulated, '--sysfs-root')).toBe('lab/fixtures/<name>/sys');
    const hostId = flag(simulated, '--host-id');
    const dataDir = flag(simulated, '--data-dir');
    expect(hostId).toBe('sim-1');
    expect(dataDir).toBe('data/sim-1');
    // not the hub's data folder, where the local agent of scripts/start.sh keeps its host id
    expect(dataDir).not.toBe('data');
    expect(dataDir).not.toBe('./data');
    expect(simulated.endsWith('--join-token <join token>')).toBe(true);
  });

  it('says the hub must listen on a reachable address, and that only enrolled agents report', () => {
    render(<AddHostsHelp hubUrl="http://10.0.0.5:7300" />);
    const help = document.querySelector('.add-hosts-help')?.textContent ?? '';
    expect(help).toContain('pnpm exec daxfleet serve --host 0.0.0.0');
    expect(help).toContain('DAXFLEET_HOST=0.0.0.0 bash scripts/start.sh');
    expect(help).not.toContain('no access control');
    expect(help).toContain('Only enrolled agents can report');
    expect(help).not.toContain('not 10.0.0.5:7300');
  });

  it('points out a loopback hub address, which other hosts cannot reach', () => {
    render(<AddHostsHelp hubUrl="http://127.0.0.1:7300" />);
    expect(document.querySelector('.add-hosts-help')?.textContent).toContain('give the agents that address, not 127.0.0.1:7300');
  });
});
