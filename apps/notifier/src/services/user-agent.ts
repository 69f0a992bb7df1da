/**
 * A small user-agent reader: enough to tell a person "Chrome 120 on Windows" in an alert. It is not a
 * general parser (no device models, no bot lists); anything it does not recognise comes back as
 * `undefined` and the template says "unknown". Kept here rather than pulling a UA database dependency.
 */
export interface ParsedUserAgent {
  browser?: string;
  os?: string;
  mobile: boolean;
}

const browsers: ReadonlyArray<[RegExp, string]> = [
  [/\bEdgA?\/(\d+)/, 'Edge'],
  [/\bOPR\/(\d+)/, 'Opera'],
  [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/\bFirefox\/(\d+)/, 'Firefox'],
  [/\bFxiOS\/(\d+)/, 'Firefox'],
  [/\bCriOS\/(\d+)/, 'Chrome'],
  [/\bChrome\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)(?:\.\d+)*.*\bSafari\//, 'Safari'],
  [/^curl\/(\d+)/, 'curl'],
  [/^okhttp\/(\d+)/, 'OkHttp'],
  [/^PostmanRuntime\/(\d+)/, 'Postman'],
  [/^grpc-node-js\/(\d+)/, 'gRPC client'],
  [/^node(?:-fetch)?\/?(\d*)/i, 'Node.js'],
];

const systems: ReadonlyArray<[RegExp, (m: RegExpMatchArray) => string]> = [
  [/\b(?:iPhone|CPU) OS (\d+)[_.](\d+)/, (m) => `iOS ${m[1]}.${m[2]}`],
  [/\biPad\b.*OS (\d+)[_.](\d+)/, (m) => `iPadOS ${m[1]}.${m[2]}`],
  [/\bAndroid (\d+(?:\.\d+)?)/, (m) => `Android ${m[1]}`],
  [/\bWindows NT 10\.0/, () => 'Windows'],
  [/\bWindows NT 6\.3/, () => 'Windows 8.1'],
  [/\bWindows NT 6\.1/, () => 'Windows 7'],
  [/\bWindows\b/, () => 'Windows'],
  [/\bMac OS X (\d+)[_.](\d+)/, () => 'macOS'],
  [/\bMacintosh\b/, () => 'macOS'],
  [/\bCrOS\b/, () => 'ChromeOS'],
  [/\bUbuntu\b/, () => 'Ubuntu'],
  [/\bLinux\b/, () => 'Linux'],
];

export function parseUserAgent(userAgent: string | undefined | null): ParsedUserAgent {
  const ua = (userAgent ?? '').trim().slice(0, 512);
  if (ua === '') return { mobile: false };
  let browser: string | undefined;
  for (const [pattern, name] of browsers) {
    const m = ua.match(pattern);
    if (m) {
      browser = m[1] ? `${name} ${m[1]}` : name;
      break;
    }
  }
  let os: string | undefined;
  // iPad must win over the generic "CPU OS" rule.
  const ordered = /\biPad\b/.test(ua) ? [systems[1]!, ...systems.filter((_, i) => i !== 1)] : systems;
  for (const [pattern, describe] of ordered) {
    const m = ua.match(pattern);
    if (m) {
      os = describe(m);
      break;
    }
  }
  return { browser, os, mobile: /\bMobile\b|\bAndroid\b|\biPhone\b/.test(ua) };
}
