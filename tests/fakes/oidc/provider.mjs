// A real OpenID provider for the sign-in tests: node-oidc-provider (npm `oidc-provider`), with its
// development login and consent forms (any login name, any password).
//
// It binds a port the system picks and prints `issuer <url>`; the test then writes the Istok
// callback address on stdin (`redirect <uri>`: Istok's own port is known only once it runs), and the
// provider prints `ready` when it serves. The people it knows, and the groups Istok maps to roles,
// are the ACCOUNTS below; an unknown login signs in with no groups at all.
import http from 'node:http';
import readline from 'node:readline';
import Provider from 'oidc-provider';

const ACCOUNTS = {
  anna: { name: 'Anna Editor', email: 'anna@example.com', groups: ['support-editors'] },
  olga: { name: 'Olga Admin', email: 'olga@example.com', groups: ['support-admins', 'support-editors'] },
  ivan: { name: 'Ivan Nobody', email: 'ivan@example.com', groups: ['sales'] },
};

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  console.log(`issuer ${issuer}`);
  const lines = readline.createInterface({ input: process.stdin });
  lines.once('line', (line) => {
    const redirectUri = line.replace(/^redirect /, '').trim();
    const provider = new Provider(issuer, {
      clients: [{
        client_id: process.env.OIDC_CLIENT_ID || 'istok',
        client_secret: process.env.OIDC_CLIENT_SECRET || 'istok-test-secret',
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      }],
      pkce: { required: () => true },
      claims: {
        openid: ['sub'],
        profile: ['name', 'preferred_username'],
        email: ['email'],
        groups: ['groups'],
      },
      conformIdTokenClaims: false, // the claims of the requested scopes go into the id token itself
      cookies: { keys: ['istok-test-provider-cookie-key'] },
      async findAccount(ctx, id) {
        const known = ACCOUNTS[id] || { name: id, email: `${id}@example.com`, groups: [] };
        return {
          accountId: id,
          async claims() {
            return { sub: id, preferred_username: id, ...known };
          },
        };
      },
    });
    provider.on('server_error', (ctx, err) => console.error('server_error', err));
    server.on('request', provider.callback());
    console.log('ready');
  });
});
