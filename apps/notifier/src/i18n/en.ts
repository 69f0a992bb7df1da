/**
 * English message catalogue: the reference every other locale must match key for key (the type below
 * makes a missing key a compile error; `messages.spec.ts` checks keys and placeholders at run time too).
 * Placeholders are `{name}`; they are filled by `format()` and HTML-escaped by React when rendered.
 */
export const en = {
  common: {
    brand: 'Guardian',
    greeting: 'Hi {name},',
    greetingAnonymous: 'Hello,',
    details: 'Details',
    time: 'When',
    ip: 'IP address',
    device: 'Device',
    method: 'Sign-in method',
    unknown: 'unknown',
    deviceFormat: '{browser} on {os}',
    notYou: "If this wasn't you, change your password right away and contact support.",
    footer:
      'You received this message because an account with this address exists on Guardian. This is an automated message; replies are not read.',
    securityFooter: 'Security alerts like this one are always sent and cannot be turned off.',
    methods: {
      password: 'password',
      face: 'face recognition',
    },
  },
  welcome: {
    subject: 'Welcome to Guardian, {name}',
    preview: 'Your account is ready.',
    heading: 'Welcome to Guardian',
    body: 'Your account {username} has been created. You can now sign in and manage your profile, documents and face biometrics.',
    faceOnly:
      'You signed up with face recognition only: keep your face enrolment up to date to keep access to your account.',
    tip: 'For extra security, enrol your face so you can sign in with it and verify sensitive actions.',
  },
  loginSucceeded: {
    subject: 'New sign-in to your Guardian account',
    preview: 'Signed in with {method} from {device}.',
    heading: 'New sign-in',
    body: 'Your account was just signed in to with {method}.',
    optOut: 'You can turn off alerts for successful sign-ins in your notification preferences.',
  },
  loginFailed: {
    subject: 'Failed sign-in attempts on your Guardian account',
    preview: '{count} failed attempt(s) from {device}.',
    heading: 'Failed sign-in attempt',
    bodyOne: 'Someone tried to sign in to your account and failed.',
    bodyMany: 'There were {count} failed attempts to sign in to your account since our last alert.',
    attempts: 'Consecutive failures',
    advice:
      'If this was you, you can ignore this message. If not, change your password now and consider enrolling your face for stronger sign-in.',
  },
  accountLocked: {
    subject: 'Your Guardian account has been locked',
    preview: 'Too many failed sign-in attempts.',
    heading: 'Account temporarily locked',
    body: 'After {count} failed sign-in attempts, we locked your account to protect it.',
    until: 'Sign-in is blocked until {until}.',
    untilUnknown: 'Sign-in is blocked for a while; try again later.',
    channel: 'Locked channel',
    channels: {
      password: 'password sign-in',
      face: 'face sign-in',
    },
  },
  biometricEnrolled: {
    subject: 'Face biometrics enrolled on your Guardian account',
    preview: 'Your face can now be used to sign in.',
    heading: 'Face biometrics enrolled',
    bodyNew:
      'A face template was created for your account from {count} photo(s). You can now sign in with your face.',
    bodyUpdated: 'The face template of your account was replaced using {count} new photo(s).',
  },
  biometricRemoved: {
    subject: 'Face biometrics removed from your Guardian account',
    preview: 'Face sign-in is no longer available.',
    heading: 'Face biometrics removed',
    body: 'The face template of your account was deleted. Face sign-in is no longer available until you enrol again.',
    reason: 'Reason',
    reasons: {
      user_request: 'requested by you',
      admin: 'removed by an administrator',
      user_deleted: 'account deleted',
    },
  },
  passwordChanged: {
    subject: 'Your Guardian password was changed',
    preview: 'Your password was just changed.',
    heading: 'Password changed',
    body: 'The password of your account was changed. Other sessions have been signed out.',
  },
  documentReviewed: {
    subjectApproved: 'Your document was approved',
    subjectRejected: 'Your document was rejected',
    preview: 'Your {type} document has been reviewed.',
    headingApproved: 'Document approved',
    headingRejected: 'Document rejected',
    bodyApproved: 'Your {type} document was reviewed and approved. Thank you!',
    bodyRejected: 'Your {type} document was reviewed and could not be accepted.',
    reason: 'Reason',
    noReason: 'No reason was given.',
    nextSteps: 'You can submit a new document from your profile.',
  },
  videoAnalyzed: {
    subjectSucceeded: 'Your video analysis is ready',
    subjectFailed: 'Your video analysis failed',
    preview: 'Video analysis of {file}.',
    headingSucceeded: 'Video analysis ready',
    headingFailed: 'Video analysis failed',
    quotedName: '“{name}”',
    unnamed: 'your video',
    bodySucceeded:
      'We analysed {file} and saw {people} person(s) in {seconds} s of video. The dominant expression was: {expression}.',
    bodyNoPeople: 'We analysed {file} ({seconds} s of video) and saw no faces in it.',
    bodyFailed: 'We could not analyse {file}.',
    reasons: {
      CORRUPT_VIDEO:
        'The file could not be decoded: it may be damaged or incomplete. Export it again and upload the new copy.',
      VIDEO_TOO_LONG: 'The video is longer than we can analyse. Trim it and upload the shorter copy.',
      UNSUPPORTED_FORMAT:
        'This type of video file is not supported. Convert it to another format and upload it again.',
    },
    reasonOther: 'Something went wrong on our side. Please try again later.',
    viewResults: 'See the full results',
    viewVideo: 'Open the video in Guardian',
    fileName: 'File',
    frames: 'Frames analysed',
    error: 'Error code',
    job: 'Job',
    expressions: {
      neutral: 'neutral',
      happy: 'happy',
      sad: 'sad',
      angry: 'angry',
      fearful: 'fearful',
      disgusted: 'disgusted',
      surprised: 'surprised',
    },
  },
} as const;

/** Same shape as the English catalogue with every leaf widened to `string`. */
export type Catalogue<T = typeof en> = {
  readonly [K in keyof T]: T[K] extends string ? string : Catalogue<T[K]>;
};
