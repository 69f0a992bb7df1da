import { waitFor } from '@guardian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, MASTER, client, newUser, rejection, startIdentity } from './harness.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 7)]);
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(1024, 3),
]);
const PDF = Buffer.from('%PDF-1.7\n% fake but well-started\n');
const MAX = 64 * 1024;

describe('VerificationService: documents and status', () => {
  let h: IdentityHarness;
  let admin: string;
  let master: string;

  beforeAll(async () => {
    h = await startIdentity({ IDENTITY_DOCUMENT_MAX_BYTES: String(MAX) });
    master = (
      await h.auth.login({
        identifier: MASTER.username,
        password: MASTER.password,
        client: client('192.0.2.20'),
      })
    ).tokens!.accessToken;
    const a = newUser();
    await h.users.createUser({ ...a, role: 'admin' }, { accessToken: master });
    admin = (
      await h.auth.login({ identifier: a.username, password: a.password, client: client('192.0.2.20') })
    ).tokens!.accessToken;
  });
  afterAll(async () => {
    await h?.stop();
  });

  async function member() {
    const input = newUser();
    const { user } = await h.auth.register({ ...input, client: client() });
    const { tokens } = await h.auth.login({
      identifier: input.username,
      password: input.password,
      client: client('192.0.2.21'),
    });
    return { id: user!.id, token: tokens!.accessToken };
  }

  it('submits JPEG, PNG and PDF as pending (type sniffed from bytes) and publishes verification.document.submitted once each', async () => {
    const u = await member();
    const call = { accessToken: u.token };
    const docs = [];
    for (const [type, content, name] of [
      ['passport', JPEG, 'passport.png'],
      ['id_card', PNG, 'id.png'],
      ['proof_of_address', PDF, 'bill.pdf'],
    ] as const) {
      docs.push((await h.verification.submitDocument({ type, content, fileName: name }, call)).document!);
    }
    expect(docs.map((d) => [d.type, d.status, d.contentType])).toEqual([
      ['passport', 'pending', 'image/jpeg'],
      ['id_card', 'pending', 'image/png'],
      ['proof_of_address', 'pending', 'application/pdf'],
    ]);
    const events = await h.tap.expect('verification.document.submitted', u.id, 3);
    expect(events).toHaveLength(3);
    expect(events.map((e) => e.data).sort((a, b) => a.type.localeCompare(b.type))).toEqual(
      docs
        .map((d) => ({ documentId: d.id, userId: u.id, type: d.type }))
        .sort((a, b) => a.type.localeCompare(b.type)),
    );
    const { document, content } = await h.verification.getDocument(
      { documentId: docs[0]!.id, includeContent: true },
      call,
    );
    expect(document!.sizeBytes).toBe(JPEG.length);
    expect(Buffer.from(content).equals(JPEG)).toBe(true);
    expect((await h.verification.listDocuments({ userId: '', status: '' }, call)).documents).toHaveLength(3);
  });

  it('rejects unknown types, empty, oversized and unsupported files', async () => {
    const call = { accessToken: (await member()).token };
    expect(
      (await rejection(h.verification.submitDocument({ type: 'selfie', content: JPEG, fileName: '' }, call)))
        .reason,
    ).toBe('INVALID_DOCUMENT_TYPE');
    expect(
      (
        await rejection(
          h.verification.submitDocument({ type: 'passport', content: Buffer.alloc(0), fileName: '' }, call),
        )
      ).reason,
    ).toBe('EMPTY_DOCUMENT');
    expect(
      await rejection(
        h.verification.submitDocument(
          { type: 'passport', content: Buffer.concat([JPEG, Buffer.alloc(MAX)]), fileName: '' },
          call,
        ),
      ),
    ).toMatchObject({
      kind: 'too_large',
      reason: 'DOCUMENT_TOO_LARGE',
    });
    expect(
      await rejection(
        h.verification.submitDocument(
          { type: 'passport', content: Buffer.from('GIF89a....'), fileName: 'x.jpg' },
          call,
        ),
      ),
    ).toMatchObject({
      kind: 'unsupported',
      reason: 'UNSUPPORTED_FORMAT',
    });
  });

  it('refuses an admin reviewing their own document, which another admin can review', async () => {
    const own = (
      await h.verification.submitDocument(
        { type: 'passport', content: JPEG, fileName: 'mine.jpg' },
        { accessToken: admin },
      )
    ).document!;
    const attempt = await rejection(
      h.verification.reviewDocument(
        { documentId: own.id, decision: 'approve', reason: '' },
        { accessToken: admin },
      ),
    );
    expect(attempt.reason).toBe('OWN_DOCUMENT');
    const stillPending = await h.verification.getDocument(
      { documentId: own.id, includeContent: false },
      { accessToken: master },
    );
    expect(stillPending.document?.status).toBe('pending');
    const reviewed = await h.verification.reviewDocument(
      { documentId: own.id, decision: 'approve', reason: '' },
      { accessToken: master },
    );
    expect(reviewed.document?.status).toBe('approved');
  });

  it('lets admins review (approve, or reject with a reason), once, and keeps other users out', async () => {
    const u = await member();
    const other = await member();
    const call = { accessToken: u.token };
    const passport = (
      await h.verification.submitDocument({ type: 'passport', content: JPEG, fileName: 'p.jpg' }, call)
    ).document!;
    const bill = (
      await h.verification.submitDocument({ type: 'proof_of_address', content: PDF, fileName: 'b.pdf' }, call)
    ).document!;

    expect(
      (
        await rejection(
          h.verification.reviewDocument({ documentId: passport.id, decision: 'approve', reason: '' }, call),
        )
      ).reason,
    ).toBe('FORBIDDEN');
    expect(
      (
        await rejection(
          h.verification.getDocument(
            { documentId: passport.id, includeContent: false },
            { accessToken: other.token },
          ),
        )
      ).reason,
    ).toBe('DOCUMENT_NOT_FOUND');
    expect(
      (
        await rejection(
          h.verification.listDocuments({ userId: u.id, status: '' }, { accessToken: other.token }),
        )
      ).reason,
    ).toBe('FORBIDDEN');
    expect(
      (
        await rejection(
          h.verification.reviewDocument(
            { documentId: bill.id, decision: 'reject', reason: ' ' },
            { accessToken: admin },
          ),
        )
      ).reason,
    ).toBe('REASON_REQUIRED');
    expect(
      (
        await rejection(
          h.verification.reviewDocument(
            { documentId: bill.id, decision: 'maybe', reason: '' },
            { accessToken: admin },
          ),
        )
      ).reason,
    ).toBe('INVALID_DECISION');

    const pending = await h.verification.listPending(
      { pageSize: 100, pageToken: '' },
      { accessToken: admin },
    );
    expect(pending.users.map((x) => x.id)).toContain(u.id);

    const approved = (
      await h.verification.reviewDocument(
        { documentId: passport.id, decision: 'approve', reason: '' },
        { accessToken: admin },
      )
    ).document!;
    expect(approved).toMatchObject({ status: 'approved', reviewReason: '' });
    const rejected = (
      await h.verification.reviewDocument(
        { documentId: bill.id, decision: 'reject', reason: 'Blurry scan' },
        { accessToken: admin },
      )
    ).document!;
    expect(rejected).toMatchObject({ status: 'rejected', reviewReason: 'Blurry scan' });
    expect(
      (
        await rejection(
          h.verification.reviewDocument(
            { documentId: bill.id, decision: 'approve', reason: '' },
            { accessToken: admin },
          ),
        )
      ).reason,
    ).toBe('DOCUMENT_ALREADY_REVIEWED');

    const reviews = await h.tap.expect('verification.document.reviewed', u.id, 2);
    expect(reviews).toHaveLength(2);
    expect(reviews.find((e) => e.data.documentId === bill.id)!.data).toMatchObject({
      userId: u.id,
      type: 'proof_of_address',
      decision: 'rejected',
      reason: 'Blurry scan',
    });
    expect(reviews.find((e) => e.data.documentId === passport.id)!.data).toMatchObject({
      decision: 'approved',
      type: 'passport',
    });

    const after = await h.verification.listPending({ pageSize: 100, pageToken: '' }, { accessToken: admin });
    expect(after.users.map((x) => x.id)).not.toContain(u.id);
  });

  it('computes verified and can_use_system: approved identity document + face enrollment', async () => {
    const u = await member();
    const call = { accessToken: u.token };
    const doc = (
      await h.verification.submitDocument({ type: 'driver_license', content: PNG, fileName: 'dl.png' }, call)
    ).document!;
    let status = (await h.verification.getStatus({ userId: '' }, call)).status!;
    expect(status).toMatchObject({
      userId: u.id,
      verified: false,
      canUseSystem: false,
      counts: { total: 1, pending: 1, approved: 0, rejected: 0 },
      biometric: { enrolled: false },
    });

    await h.verification.reviewDocument(
      { documentId: doc.id, decision: 'approve', reason: '' },
      { accessToken: admin },
    );
    status = (await h.verification.getStatus({ userId: '' }, call)).status!;
    expect(status).toMatchObject({
      verified: false,
      canUseSystem: false,
      counts: { total: 1, pending: 0, approved: 1 },
    });

    await h.bus.publish(
      'biometric.enrolled',
      { userId: u.id, modelId: 'face-api-128', sampleCount: 3, updated: false, possibleDuplicateOf: [] },
      { subject: u.id },
    );
    status = await waitFor(async () => {
      const s = (await h.verification.getStatus({ userId: u.id }, { accessToken: admin })).status!;
      return s.verified ? s : undefined;
    });
    expect(status).toMatchObject({
      verified: true,
      canUseSystem: true,
      biometric: { enrolled: true, modelId: 'face-api-128', sampleCount: 3 },
    });
    expect(status.documents).toHaveLength(1);
    const verified = await h.verification.listVerified(
      { pageSize: 100, pageToken: '' },
      { accessToken: master },
    );
    expect(verified.users.map((x) => x.id)).toContain(u.id);
    expect((await rejection(h.verification.listVerified({ pageSize: 10, pageToken: '' }, call))).reason).toBe(
      'FORBIDDEN',
    );
    // Staff are exempt from verification for can_use_system.
    const staff = (await h.verification.getStatus({ userId: '' }, { accessToken: admin })).status!;
    expect(staff).toMatchObject({ verified: false, canUseSystem: true });
  });
});
