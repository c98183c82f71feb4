import { EnrolledAgents } from '@/features/agents/components/enrolled-agents';
import { JoinTokens } from '@/features/agents/components/join-tokens';

export function AdminAgentsRoute() {
  return (
    <>
      <title>Agents · daxfleet</title>
      <JoinTokens hubUrl={window.location.origin} />
      <EnrolledAgents />
    </>
  );
}
