/** The command an operator runs (from a daxfleet checkout) on a new pmem host to enroll its agent. */
export function agentCommand(hubUrl: string, joinToken: string): string {
  return `pnpm exec daxfleet serve --role agent --hub-url ${hubUrl} --join-token ${joinToken}`;
}
