export {
  type AttemptOutcome,
  type AttemptRecord,
  type ThrottlePolicy,
  type ThrottleState,
  afterFailure,
  evaluateThrottle,
  failureChain,
  successEndsChain,
} from './throttle.js';
