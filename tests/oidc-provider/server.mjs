// A certified OpenID Connect provider (the `oidc-provider` package) configured like Authelia's
// client for Shoebox in docs/sso.md, for the end-to-end tests:
//   client_secret_basic enforced, opaque access token, plain-JSON userinfo, profile/email/groups
//   claims only in userinfo, no end-session endpoint, automatic consent, a scripted login form.
//
// Usage: node server.mjs REDIRECT_URI [SIGNING_KEY_PEM_FILE]
// (without a key file, a fresh RSA key is generated, which can take a while on a busy machine).
// Prints `listening http://127.0.0.1:PORT` once it accepts requests. Test control:
//   POST /test/users/<login>  with a JSON object of claims to change (e.g. a new preferred_username).

import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import Provider from 'oidc-provider';

const redirectUri = process.argv[2];
if (!redirectUri) {
  console.error('usage: node server.mjs REDIRECT_URI');
  process.exit(2);
}

const users = {
  alice: {
    password: 'alice-password',
    sub: '0f6c4b5e-7a41-4c1e-9a3c-2f1d7c6b9e01',
    claims: { preferred_username: 'alice', name: 'Alice Liddell', email: 'alice@example.com', groups: ['admins', 'family'] },
  },
  bob: {
    password: 'bob-password',
    sub: '6a2d8e4f-1b3c-4d5e-8f70-9a1b2c3d4e02',
    claims: { preferred_username: 'bob', name: 'Bob Builder', email: 'bob@example.com', groups: ['family'] },
  },
  carol: {
    password: 'carol-password',
    sub: 'c4r01000-0000-4000-8000-000000000003',
    claims: { preferred_username: 'carol', name: 'Carol Danvers', email: 'carol@example.com', groups: [] },
  },
};
const bySub = (sub) => Object.values(users).find((u) => u.sub === sub);

const privateKey = process.argv[3]
  ? crypto.createPrivateKey(fs.readFileSync(process.argv[3]))
  : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'photoprism',
        client_secret: 'insecure_secret',
        client_name: 'photoprism',
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
        // The seed's scopes plus `groups`, as docs/sso.md says to add for group mapping.
        scope: 'openid profile email address groups',
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    scopes: ['openid', 'profile', 'email', 'address', 'groups'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'nickname', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
      address: ['address'],
      groups: ['groups'],
    },
    // Profile, email and groups claims go to userinfo only, like Authelia 4.39.
    conformIdTokenClaims: true,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      userinfo: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
    },
    pkce: { required: () => false },
    async findAccount(ctx, sub) {
      const user = bySub(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, ...user.claims, email_verified: true };
        },
      };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // Consent is automatic: a grant for what the client asked for (within its registration).
    async loadExistingGrant(ctx) {
      const requested = [...ctx.oidc.requestParamScopes].join(' ');
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      let grant = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!grant) {
        grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      }
      grant.addOIDCScope(requested);
      await grant.save();
      return grant;
    },
    renderError(ctx, out) {
      ctx.type = 'text/plain';
      ctx.body = `${out.error}: ${out.error_description || ''}`;
    },
  });

  const callback = provider.callback();
  const page = (res, status, html) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Sign in</title>${html}`);
  };
  const readBody = (req) =>
    new Promise((resolve, reject) => {
      let data = '';
      req.on('data', (c) => {
        data += c;
      });
      req.on('end', () => resolve(data));
      req.on('error', reject);
    });

  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    try {
      const interaction = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
      if (interaction && req.method === 'GET') {
        const details = await provider.interactionDetails(req, res);
        return page(
          res,
          200,
          `<form method="post" action="/interaction/${details.uid}/login">` +
            '<input name="login"><input name="password" type="password"><button>Sign in</button></form>',
        );
      }
      if (interaction && req.method === 'POST') {
        const form = new URLSearchParams(await readBody(req));
        const user = users[form.get('login')];
        if (!user || user.password !== form.get('password')) {
          return page(res, 401, '<p>Wrong username or password</p>');
        }
        return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
      }
      const control = url.pathname.match(/^\/test\/users\/([^/]+)$/);
      if (control && req.method === 'POST') {
        const user = users[control[1]];
        if (!user) {
          res.writeHead(404).end();
          return undefined;
        }
        Object.assign(user.claims, JSON.parse(await readBody(req)));
        res.writeHead(204).end();
        return undefined;
      }
      return callback(req, res);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e && e.stack ? e.stack : e));
      return undefined;
    }
  });
  console.log(`listening ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
