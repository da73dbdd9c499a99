/** A configuration the agent generator cannot render faithfully; the message says what and what to do instead. */
export class AgentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentConfigError';
  }
}
