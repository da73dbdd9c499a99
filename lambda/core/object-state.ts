/**
 * The one tag that lets a lifecycle rule expire a pipeline's own objects (staged copies, archived copies, agent
 * chunks in the buffer bucket): `logtong:state=done`, set only once every line of the object has reached its
 * destination or the backup bucket. The buckets' lifecycle rules (lib/constructs/log-buckets.ts) filter on it, so an
 * object nobody marked — still pending, or marked by nothing at all — is never expired by age.
 */
export const STATE_TAG_KEY = 'logtong:state';
export const STATE_DONE = 'done';
