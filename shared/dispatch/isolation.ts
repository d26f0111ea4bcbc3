/**
 * Finding the bad text in a refused batch. DJL fails a whole batch on one bad text, and its
 * server-side batching can merge our batches, so a refusal blames nobody yet: the batch is split
 * and the halves tried apart, one isolation batch at a time, until the text at fault stands alone.
 * A text is blamed only when refused alone in an isolation batch, and only its requests fail.
 */
import { ErrorCode, FrontDoorError } from '../errors';
import { type UpstreamError, UpstreamFailure } from '../upstream/upstream-error';
import type { WorkItem } from './pending-request';

/** Statuses a backend gives a batch it cannot embed because of its input. */
const INPUT_REJECTION_STATUSES = new Set([400, 413, 422]);

/** True when the backend refused the batch for its input rather than for its own trouble. */
export const isInputRejection = (error: UpstreamError): boolean =>
  error.reason === UpstreamFailure.status && INPUT_REJECTION_STATUSES.has(error.upstreamStatus ?? 0);

/**
 * Handles an input rejection of the batch whose slots are `owners`. Returns the halves to queue as
 * isolation batches, or an empty list once the text at fault stood alone (its requests are failed
 * with a 400 naming the text's position).
 */
export function isolateRejection(owners: readonly WorkItem[][], error: UpstreamError): WorkItem[][] {
  const live = owners.filter((group) => group.some((item) => !item.request.settled));
  const alreadyAlone = live.length === 1 && live[0]?.every((item) => item.isolating === true);
  if (!alreadyAlone) {
    const middle = Math.ceil(live.length / 2);
    return [live.slice(0, middle), live.slice(middle)].map((half) => {
      const items = half.flat();
      for (const item of items) item.isolating = true;
      return items;
    });
  }
  for (const item of live.flat()) {
    const position = item.request.positionOf(item.index);
    item.request.fail(new FrontDoorError(400, ErrorCode.inputRejected,
      `the backend could not embed the text at index ${position} (${error.upstreamStatus ?? ''} ${error.upstreamType ?? ''}`.trimEnd() +
        '); check or remove that text', { cause: error }));
  }
  return [];
}
