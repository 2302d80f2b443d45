import type { StatusProvider } from '../archiving/directory.ts';
import type { PolicyService } from './service.ts';

/**
 * The status provider of declared policies, for `StatusDirectory.addProvider` (asked after a
 * platform's archive sync and after the employee's own imported record): an employee covered by
 * a policy is archived since the policy's `since`, with its scope, source 'company policy' and
 * the policy's updatedAt; anyone else gets null (no record).
 */
export function createPolicyStatusProvider(service: PolicyService): StatusProvider {
  return (platform, userId) => service.statusFor(platform, userId);
}
