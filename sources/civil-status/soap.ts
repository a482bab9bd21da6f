/**
 * The civil-status system's SOAP 1.1 transport, shared by its operations (record lookups,
 * registration statistics): the envelope with the key in its header (`ht:XacThuc/ht:KhoaTruyCap`),
 * the XML parser, and failures reported as SOAP Faults (on HTTP 500) turned into SourceError.
 */
import { XMLParser } from 'fast-xml-parser';
import { SourceError } from '../kit/errors';
import { SourceClient, type SourceResponse } from '../kit/source-client';

export const SOAP_ENVELOPE_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const HO_TICH_NS = 'urn:hotich:v1';

/** Elements that may repeat, so that one occurrence still parses as a list. */
const REPEATED = new Set(['HoSo', 'KetHon', 'KhongTimThay']);

/**
 * Namespace prefixes are the sender's choice, so they are dropped and elements are read by local
 * name. All text stays text: personal IDs have leading zeros and codes look like numbers.
 * `htmlEntities` turns on numeric character references (`&#7840;`), which XML allows anywhere.
 */
const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  htmlEntities: true,
  jPath: true,
  isArray: (name: string, jPath: unknown) =>
    REPEATED.has(name) || (name === 'SoDinhDanh' && String(jPath).endsWith('KhongTimThay.SoDinhDanh')),
});

export type XmlNode = Record<string, unknown>;

export function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for use in XML element content or attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}

/** An operation's request envelope: `content` inside `<ht:{operation}>`, authenticated with `key`. */
export function soapEnvelope(key: string, operation: string, content: string): string {
  return (
    `<soap:Envelope xmlns:soap="${SOAP_ENVELOPE_NS}" xmlns:ht="${HO_TICH_NS}">` +
    `<soap:Header><ht:XacThuc><ht:KhoaTruyCap>${escapeXml(key)}</ht:KhoaTruyCap></ht:XacThuc></soap:Header>` +
    `<soap:Body><ht:${operation}>${content}</ht:${operation}></soap:Body></soap:Envelope>`
  );
}

export abstract class CivilStatusSoapClient extends SourceClient {
  readonly source = 'civil-status' as const;

  /** The key travels in the SOAP header, not in an HTTP header. */
  protected authHeaders(): Record<string, string> {
    return {};
  }

  /** The SOAP Body of a response; a Fault or an unusable body becomes a SourceError. */
  protected parseSoapBody(response: SourceResponse): XmlNode {
    let document: unknown;
    try {
      document = parser.parse(response.text, true);
    } catch {
      document = undefined;
    }
    const envelope = isNode(document) ? document.Envelope : undefined;
    const body = isNode(envelope) ? envelope.Body : undefined;
    if (isNode(body) && isNode(body.Fault)) throw this.fault(body.Fault, response.status);
    if (response.status >= 300) {
      // A 404 (wrong path) or a 500 that is not a SOAP Fault, such as a proxy's error page.
      throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source answered HTTP ${response.status}`, response.status);
    }
    if (document === undefined) throw this.badResponse('a body that is not well-formed XML');
    if (!isNode(body)) throw this.badResponse('XML that is not a SOAP envelope with a body');
    return body;
  }

  /**
   * `Client` faults (a malformed envelope, too many IDs) are the gateway's request being refused,
   * mapped like HTTP 400; `Server` and any other fault mean the source cannot answer now.
   * The fault string is not repeated: it may quote the request.
   */
  private fault(fault: XmlNode, status: number): SourceError {
    const code = typeof fault.faultcode === 'string' ? fault.faultcode.split(':').pop() ?? '' : '';
    if (code === 'Client' || code.startsWith('Client.')) {
      return new SourceError(this.source, 'SOURCE_BAD_RESPONSE', `The ${this.source} source rejected the request as malformed (SOAP Fault Client)`, status);
    }
    const kind = code === 'Server' || code.startsWith('Server.') ? ' Server' : '';
    return new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source answered with a SOAP Fault${kind}`, status);
  }
}
