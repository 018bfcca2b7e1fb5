/** Credentials inside URLs: hidden in place for logs and the Settings view, and restored only to the same destination. */
import { describe, expect, it } from 'vitest';
import { redactUrl, redactUrlsIn, redactedSecret as h, restoreUrlCredentials } from '../../src/shared/redact-url.js';

describe('redactUrl', () => {
  it('hides the username, the password and secret-looking query values, and nothing else', () => {
    expect(redactUrl('https://anna:s3cr%40t@Uploads.example.org:8443/files/?token=abc&x=1&X-Amz-Signature=de&X-Amz-Credential=AKIA%2F1&sig=zz#top')).toBe(
      `https://${h}:${h}@uploads.example.org:8443/files/?token=${h}&x=1&X-Amz-Signature=${h}&X-Amz-Credential=${h}&sig=${h}#top`,
    );
    expect(redactUrl('https://anna@host.example/files/?access_token=t&api_key=k&auth=a&author=anna')).toBe(`https://${h}@host.example/files/?access_token=${h}&api_key=${h}&auth=${h}&author=anna`);
  });

  it('hides secret-looking values in the fragment too (OAuth puts access_token there)', () => {
    expect(redactUrl('https://host.example/cb#access_token=t0k&state=s')).toBe(`https://host.example/cb#access_token=${h}&state=s`);
  });

  it('leaves a URL without credentials exactly as written', () => {
    for (const url of ['https://Uploads.example.org', 'http://127.0.0.1:1080/files/?bucket=a&token=', 'https://host.example/files/?design=x']) expect(redactUrl(url)).toBe(url);
  });

  it('hides user:password@ of text the URL parser refuses, too', () => {
    expect(redactUrl('https://anna:pw@exa mple.org/')).toBe(`https://${h}@exa mple.org/`);
  });
});

describe('redactUrlsIn', () => {
  it("hides the credentials of every URL in a library's message, keeping the punctuation around it", () => {
    const message = 'tus: failed to create upload, caused by Error: x, originated from request (method: POST, url: http://anna:pw@127.0.0.1:1080/files/?token=t1, response code: 401, response text: no)';
    expect(redactUrlsIn(message)).toBe(`tus: failed to create upload, caused by Error: x, originated from request (method: POST, url: http://${h}:${h}@127.0.0.1:1080/files/?token=${h}, response code: 401, response text: no)`);
    expect(redactUrlsIn('see (https://a:b@x.example/p).')).toBe(`see (https://${h}:${h}@x.example/p).`);
    expect(redactUrlsIn('[GET https://u:p@host.example/x?token=1&sig=2] failed')).toBe(`[GET https://${h}:${h}@host.example/x?token=${h}&sig=${h}] failed`);
    expect(redactUrlsIn('{"url":"https://host.example/x?sig=2"}')).toBe(`{"url":"https://host.example/x?sig=${h}"}`);
  });
});

describe('restoreUrlCredentials', () => {
  const previous = 'https://anna:pw%21@uploads.example.org/files/?token=t1&token=t2&x=1';
  const hidden = redactUrl(previous);

  it('gives the previous URL back byte for byte when nothing was changed', () => {
    expect(restoreUrlCredentials(hidden, previous)).toBe(previous);
  });

  it('puts each credential back in its slot when only other parts changed, and keeps what was typed in', () => {
    expect(restoreUrlCredentials(hidden.replace('x=1', 'x=2'), previous)).toBe('https://anna:pw%21@uploads.example.org/files/?token=t1&token=t2&x=2');
    expect(restoreUrlCredentials(hidden.replace(`${h}@`, 'new@').replace(`token=${h}&x`, 'token=t9&x'), previous)).toBe('https://anna:new@uploads.example.org/files/?token=t1&token=t9&x=1');
    // The placeholder as a browser would send it, percent-encoded.
    expect(restoreUrlCredentials('https://anna:%28hidden%29@uploads.example.org/files/', previous)).toBe('https://anna:pw%21@uploads.example.org/files/');
  });

  it('restores nothing to another host, port, path or scheme, to a new URL, or to a slot the old URL did not have', () => {
    for (const other of [hidden.replace('uploads.example.org', 'evil.example'), hidden.replace('.org/', '.org:8443/'), hidden.replace('/files/', '/x/'), hidden.replace('https:', 'http:')]) expect(restoreUrlCredentials(other, previous)).toBeNull();
    expect(restoreUrlCredentials(hidden, undefined)).toBeNull();
    expect(restoreUrlCredentials(`${hidden}&signature=${h}`, previous)).toBeNull();
    // A hidden password belongs to its user: typed next to another username it is not restored.
    expect(restoreUrlCredentials(hidden.replace(`${h}:`, 'bob:'), previous)).toBeNull();
    expect(restoreUrlCredentials(hidden.replace(`${h}:`, 'anna:'), previous)).toBe('https://anna:pw%21@uploads.example.org/files/?token=t1&token=t2&x=1');
  });

  it('leaves a URL without placeholders as it is, wherever it points', () => {
    expect(restoreUrlCredentials('https://bob:typed@elsewhere.example/', previous)).toBe('https://bob:typed@elsewhere.example/');
  });
});

describe('redactUrlsIn, again', () => {
  it('changes nothing more in a message it already redacted', () => {
    const once = redactUrlsIn('Target "tus" (http://anna:pw@127.0.0.1:1080/files/?token=t1) refused the upload (401).');
    expect(once).toBe(`Target "tus" (http://${h}:${h}@127.0.0.1:1080/files/?token=${h}) refused the upload (401).`);
    expect(redactUrlsIn(once)).toBe(once);
  });
});
