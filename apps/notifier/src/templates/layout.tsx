import {
  Body,
  Container,
  Head,
  Heading,
  Hr,
  Html,
  Link,
  Preview,
  Section,
  Text,
} from '@react-email/components';
import type { Locale } from '../i18n/locale.js';
import type { Messages } from '../i18n/messages.js';

const styles = {
  body: {
    backgroundColor: '#f4f5f7',
    fontFamily: 'Helvetica, Arial, sans-serif',
    margin: 0,
    padding: '24px 0',
  },
  container: {
    backgroundColor: '#ffffff',
    borderRadius: '8px',
    margin: '0 auto',
    maxWidth: '560px',
    padding: '32px',
  },
  brand: { color: '#1f4fd1', fontSize: '14px', fontWeight: 700, letterSpacing: '0.08em', margin: '0 0 16px' },
  heading: { color: '#111827', fontSize: '22px', margin: '0 0 16px' },
  text: { color: '#374151', fontSize: '15px', lineHeight: '22px', margin: '0 0 12px' },
  label: { color: '#6b7280', fontSize: '13px', margin: '0', width: '40%' },
  value: { color: '#111827', fontSize: '14px', margin: '0' },
  callout: {
    backgroundColor: '#fff7ed',
    borderLeft: '4px solid #f97316',
    color: '#7c2d12',
    fontSize: '14px',
    padding: '12px 16px',
  },
  // A link drawn as a button; white on this blue is well above WCAG AA contrast.
  action: {
    backgroundColor: '#1f4fd1',
    borderRadius: '6px',
    color: '#ffffff',
    display: 'inline-block',
    fontSize: '15px',
    fontWeight: 700,
    padding: '10px 18px',
  },
  note: { color: '#6b7280', fontSize: '12px', lineHeight: '18px', margin: '12px 0 0' },
  footer: { color: '#9ca3af', fontSize: '12px', lineHeight: '18px', margin: '8px 0 0' },
} as const;

export interface Detail {
  label: string;
  value: string;
}

/** A link to follow from the e-mail. The label says where it goes: screen readers list links out of context. */
export interface Action {
  label: string;
  /** An absolute http(s) URL. */
  href: string;
}

/** What one e-mail says, independent of HTML or text. */
export interface EmailView {
  preview: string;
  heading: string;
  greeting: string;
  paragraphs: readonly string[];
  details?: readonly Detail[];
  /** Shown as a button after the details; the text part gives the URL. */
  action?: Action;
  /** Shown highlighted (advice on security alerts). */
  callout?: string;
  /** Small print under the body (how to opt out). */
  note?: string;
  /** Adds the "security alerts cannot be turned off" line. */
  security?: boolean;
}

export interface LayoutProps extends EmailView {
  locale: Locale;
  t: Messages;
}

/**
 * The frame every Guardian e-mail shares: brand, heading, greeting, paragraphs, a details table, an
 * action link, footer.
 */
export function Layout(props: LayoutProps) {
  const { t } = props;
  return (
    <Html lang={props.locale}>
      <Head />
      <Preview>{props.preview}</Preview>
      <Body style={styles.body}>
        <Container style={styles.container}>
          <Text style={styles.brand}>{t.common.brand.toUpperCase()}</Text>
          <Heading as="h1" style={styles.heading}>
            {props.heading}
          </Heading>
          <Text style={styles.text}>{props.greeting}</Text>
          {props.paragraphs.map((p, i) => (
            <Text key={i} style={styles.text}>
              {p}
            </Text>
          ))}
          {props.details && props.details.length > 0 ? (
            <Section>
              <Text style={{ ...styles.text, fontWeight: 700 }}>{t.common.details}</Text>
              <table role="presentation" width="100%" cellPadding={4} cellSpacing={0}>
                <tbody>
                  {props.details.map((d) => (
                    <tr key={d.label}>
                      <td style={styles.label}>{d.label}</td>
                      <td style={styles.value}>{d.value}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Section>
          ) : null}
          {props.action ? (
            <Text style={styles.text}>
              <Link href={props.action.href} style={styles.action}>
                {props.action.label}
              </Link>
            </Text>
          ) : null}
          {props.callout ? <Text style={styles.callout}>{props.callout}</Text> : null}
          {props.note ? <Text style={styles.note}>{props.note}</Text> : null}
          <Hr />
          {props.security ? <Text style={styles.footer}>{t.common.securityFooter}</Text> : null}
          <Text style={styles.footer}>{t.common.footer}</Text>
        </Container>
      </Body>
    </Html>
  );
}

/** The plain-text part, written from the same view as the HTML (no HTML-to-text round trip). */
export function viewToText(view: EmailView, t: Messages): string {
  const lines: string[] = [t.common.brand.toUpperCase(), '', view.heading, '', view.greeting, ''];
  for (const p of view.paragraphs) lines.push(p, '');
  if (view.details && view.details.length > 0) {
    lines.push(`${t.common.details}:`);
    for (const d of view.details) lines.push(`- ${d.label}: ${d.value}`);
    lines.push('');
  }
  if (view.action) lines.push(`${view.action.label}: ${view.action.href}`, '');
  if (view.callout) lines.push(`> ${view.callout}`, '');
  if (view.note) lines.push(view.note, '');
  lines.push('--');
  if (view.security) lines.push(t.common.securityFooter);
  lines.push(t.common.footer, '');
  return lines.join('\n');
}
