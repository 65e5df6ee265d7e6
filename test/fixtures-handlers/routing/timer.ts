import { record } from '../recorder';

/** Records the schedule input it fired with. */
export async function handler(event: unknown): Promise<void> {
  await record('timer', { event, firedAt: Date.now() });
}
