import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedEmail {
  headers: IncomingHttpHeaders;
  body: {
    from: string;
    to: string[];
    subject: string;
    html: string;
    text: string;
    headers?: Record<string, string>;
    tags?: Array<{ name: string; value: string }>;
  };
}

export interface ScriptedReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * A local HTTP server standing in for Resend's API (`POST /emails`), for the real SDK to talk to. It
 * records every request, answers from a script (then 200 with an id), checks the bearer key, and
 * honours `Idempotency-Key` like Resend: a repeated key after a success returns the first response.
 */
export class FakeResend {
  readonly requests: ReceivedEmail[] = [];
  private readonly script: ScriptedReply[] = [];
  private readonly idempotent = new Map<string, string>();
  private server!: Server;
  baseUrl = '';

  constructor(readonly apiKey = 're_test_key') {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
          res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
        if (req.method !== 'POST' || req.url !== '/emails')
          return reply(404, { statusCode: 404, name: 'not_found', message: 'not found' });
        if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
          return reply(401, { statusCode: 401, name: 'missing_api_key', message: 'bad key' });
        }
        const body = JSON.parse(raw) as ReceivedEmail['body'];
        this.requests.push({ headers: req.headers, body });
        const key = req.headers['idempotency-key'];
        const previous = typeof key === 'string' ? this.idempotent.get(key) : undefined;
        if (previous) return reply(200, { id: previous });
        const scripted = this.script.shift();
        if (scripted && scripted.status !== 200)
          return reply(scripted.status, scripted.body ?? {}, scripted.headers);
        const id = randomUUID();
        if (typeof key === 'string') this.idempotent.set(key, id);
        return reply(200, { id });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The next replies, in order, before falling back to 200. */
  reply(...replies: ScriptedReply[]): void {
    this.script.push(...replies);
  }

  /** Requests whose recipient is `to`. */
  to(address: string): ReceivedEmail[] {
    return this.requests.filter((r) => r.body.to.includes(address));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
