export {
  type AttemptOutcome,
  type AttemptRecord,
  type ThrottlePolicy,
  type ThrottleState,
  afterFailure,
  evaluateThrottle,
  failureChain,
} from './throttle.js';
