// A SAML 2.0 identity provider for the SAML single sign-on tests: samlify's IdentityProvider
// on 127.0.0.1 with a one-field sign-in page (type the e-mail; no password is checked).
//
//   node idp.js <port> <product base URL> <config.json>
//
// config.json: {"<slug>": {"key": "<PEM private key>", "cert": "<PEM certificate>"}, ...}
// One IdP per slug, each with its own signing key: entity id http://127.0.0.1:<port>/<slug>,
// sign-in URL http://127.0.0.1:<port>/<slug>/sso (HTTP-Redirect). IdP <slug> answers the
// product's SAML app of the same slug: ACS <product>/accounts/saml/<slug>/acs/, audience
// <product>/accounts/saml/<slug>/metadata/ (allauth's default entity id). `?sp=<other>` on the
// sign-in URL makes it answer another slug's app instead, signed with its own key (what a
// hostile or misconfigured IdP would do); the tests expect the product to refuse that.
// Test use only: never a production IdP.
import fs from 'node:fs';
import http from 'node:http';
import samlifyModule from 'samlify';

const samlify = samlifyModule;

const port = Number(process.argv[2] || 0);
const product = (process.argv[3] || '').replace(/\/$/, '');
const configPath = process.argv[4] || '';
if (!port || !product || !configPath) {
  console.error('usage: node idp.js <port> <product base URL> <config.json>');
  process.exit(2);
}
const base = `http://127.0.0.1:${port}`;
const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));

// The AuthnRequest comes from the product under test over the redirect binding, unsigned; the
// IdP reads its ID (for InResponseTo) and nothing else, so no XSD validation here.
samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped in the test IdP') });

const EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const NAMES = {
  'alice@acme.example': 'Alice Liddell',
  'zhang@acme.example': '张伟',
  'eve@beta.example': 'Eve Beta',
  'bob@beta.example': 'Bob Beta',
  'sam@provider.example': 'Sam Staff',
};

const idps = {};
const sps = {};
for (const [slug, keys] of Object.entries(config)) {
  idps[slug] = samlify.IdentityProvider({
    entityID: `${base}/${slug}`,
    privateKey: keys.key,
    signingCert: keys.cert,
    nameIDFormat: [EMAIL],
    singleSignOnService: [{ Binding: REDIRECT, Location: `${base}/${slug}/sso` }],
    loginResponseTemplate: {
      context: samlify.SamlLib.defaultLoginResponseTemplate.context,
      attributes: [
        { name: 'urn:oid:0.9.2342.19200300.100.1.3', valueTag: 'email',
          nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri', valueXsiType: 'xs:string' },
        { name: 'urn:oid:2.16.840.1.113730.3.1.241', valueTag: 'name',
          nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri', valueXsiType: 'xs:string' },
      ],
    },
  });
  sps[slug] = samlify.ServiceProvider({
    entityID: `${product}/accounts/saml/${slug}/metadata/`,
    assertionConsumerService: [{ Binding: POST, Location: `${product}/accounts/saml/${slug}/acs/` }],
    wantAssertionsSigned: true,
  });
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head>` +
    `<body><h1>${esc(title)}</h1>${body}</body></html>`);
}

// The response, filled in the way samlify's own default does, plus the two attributes.
function fill(idp, sp, request, email) {
  return (template) => {
    const now = new Date();
    const later = new Date(now.getTime() + 5 * 60 * 1000).toISOString();
    const acs = sp.entityMeta.getAssertionConsumerService(POST);
    const id = idp.entitySetting.generateID();
    const statement = samlify.SamlLib.attributeStatementBuilder(
      idp.entitySetting.loginResponseTemplate.attributes);
    const authn = '<saml:AuthnStatement AuthnInstant="{IssueInstant}" SessionIndex="{ID}">' +
      '<saml:AuthnContext><saml:AuthnContextClassRef>' +
      'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport' +
      '</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>';
    const shaped = template.replace('{AuthnStatement}', authn).replace('{AttributeStatement}', statement);
    const filled = samlify.SamlLib.replaceTagsByValue(shaped, {
      ID: id,
      AssertionID: idp.entitySetting.generateID(),
      Destination: acs,
      Audience: sp.entityMeta.getEntityID(),
      SubjectRecipient: acs,
      Issuer: idp.entityMeta.getEntityID(),
      IssueInstant: now.toISOString(),
      StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
      ConditionsNotBefore: now.toISOString(),
      ConditionsNotOnOrAfter: later,
      SubjectConfirmationDataNotOnOrAfter: later,
      NameIDFormat: EMAIL,
      NameID: email,
      InResponseTo: request.id,
      attrEmail: email,
      attrName: NAMES[email] || email,
    });
    return { id, context: filled };
  };
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, base);
    const [, slug, action] = url.pathname.split('/');
    const idp = idps[slug];
    if (url.pathname === '/health') { res.end('ok'); return; }
    if (!idp) { page(res, 404, 'IdP error', '<p>unknown IdP</p>'); return; }
    if (action === 'sso' && req.method === 'GET') {
      // the sign-in page: carry the request (and relay state) to the POST below
      const hidden = ['SAMLRequest', 'RelayState', 'sp'].map((name) => url.searchParams.has(name)
        ? `<input type="hidden" name="${name}" value="${esc(url.searchParams.get(name))}">` : '').join('');
      page(res, 200, `Test SAML IdP (${slug})`,
        `<form method="post" action="/${esc(slug)}/login">${hidden}` +
        '<label for="email">E-mail</label> <input id="email" name="email" autocomplete="off">' +
        ' <button type="submit" id="sign-in">Sign in</button></form>');
      return;
    }
    if (action === 'login' && req.method === 'POST') {
      const form = await readForm(req);
      const sp = sps[form.get('sp') || slug];
      if (!sp) { page(res, 400, 'IdP error', '<p>unknown service provider</p>'); return; }
      const query = { SAMLRequest: form.get('SAMLRequest') || '' };
      if (form.has('RelayState')) query.RelayState = form.get('RelayState');
      // parsed as the product's own app sent it, answered for `sp`
      const parsed = await idp.parseLoginRequest(sps[slug], 'redirect', { query, octetString: '' });
      const request = { id: parsed.extract.request.id };
      const email = (form.get('email') || '').trim();
      const answer = await idp.createLoginResponse(sp, { extract: { request } }, 'post',
        { email }, { customTagReplacement: fill(idp, sp, request, email) });
      const relay = form.get('RelayState');
      page(res, 200, 'Signing you in',
        `<form id="saml" method="post" action="${esc(answer.entityEndpoint)}">` +
        `<input type="hidden" name="SAMLResponse" value="${esc(answer.context)}">` +
        (relay ? `<input type="hidden" name="RelayState" value="${esc(relay)}">` : '') +
        '<button type="submit">Continue</button></form>' +
        '<script>document.getElementById("saml").submit()</script>');
      return;
    }
    page(res, 404, 'IdP error', '<p>not found</p>');
  } catch (error) {
    page(res, 500, 'IdP error', `<pre>${esc(error && error.stack || error)}</pre>`);
  }
});

server.listen(port, '127.0.0.1', () => console.log(`test SAML IdP listening at ${base}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
