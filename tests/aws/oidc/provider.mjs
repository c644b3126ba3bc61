// A real OpenID Connect provider for the tests: node-oidc-provider (OpenID Certified) with its
// development login form. Usage: node provider.mjs '<json config>'; prints "ready <issuer>".
// Config: {"port": N, "clients": [{client_id, client_secret, redirect_uris}],
//          "users": {"alice": {"groups": ["reviewers"]}}}
// POST /test/mode {"mode": "normal" | "wrong-audience" | "expired" | "tampered"} makes the token
// endpoint hand out an ID token that is, respectively, right; signed by this provider for another
// audience; signed by this provider but expired; or changed after it was signed.
import Provider from 'oidc-provider';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';

const config = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${config.port}`;
const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
const users = config.users || {};

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  scopes: ['openid', 'profile', 'groups'],
  claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, groups: (users[id] || {}).groups || [] };
      },
    };
  },
});

let mode = 'normal';
const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');

provider.use(async (ctx, next) => {
  if (ctx.path === '/test/mode' && ctx.method === 'POST') {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    mode = JSON.parse(Buffer.concat(chunks).toString()).mode;
    ctx.body = { mode };
    return;
  }
  await next();
  if (ctx.path === '/token' && ctx.body && ctx.body.id_token && mode !== 'normal') {
    const claims = decodeJwt(ctx.body.id_token);
    const now = Math.floor(Date.now() / 1000);
    if (mode === 'wrong-audience') claims.aud = 'another-application';
    if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
    let token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' })
      .sign(privateKey);
    if (mode === 'tampered') {
      const [header, , signature] = token.split('.');
      token = [header, b64({ ...claims, groups: ['admins', 'reviewers'] }), signature].join('.');
    }
    ctx.body = { ...ctx.body, id_token: token };
  }
});

provider.listen(config.port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
