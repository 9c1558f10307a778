// A real OpenID Connect provider (the npm package oidc-provider) for the sign-in tests,
// on loopback only.
//
//   node tests/oidc/provider.mjs PORT CONFIG.json
//
// CONFIG: {"client_id", "client_secret", "redirect_uris": [...],
//          "accounts": {"alice": {"password": "...", "name": "...", "email": "...",
//                                 "groups": ["..."]}}}
// The sign-in form checks the account's password (oidc-provider's development
// interactions would accept any login); consent is granted without asking, as for a
// first-party app. Prints "ready" on stdout once it listens.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import Provider from "oidc-provider";

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, "utf8"));
const issuer = `http://127.0.0.1:${port}`;
const SCOPES = "openid email profile groups";

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const provider = new Provider(issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: config.redirect_uris,
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_post",
  }],
  async findAccount(_ctx, id) {
    const account = config.accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: account.name, email: account.email,
                 groups: account.groups ?? [] };
      },
    };
  },
  claims: { openid: ["sub"], email: ["email"], profile: ["name", "preferred_username"],
            groups: ["groups"] },
  scopes: SCOPES.split(" "),
  conformIdTokenClaims: false, // the claims go into the id_token, where Panel reads them
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async loadExistingGrant(ctx) {
    const known = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (known) return ctx.oidc.provider.Grant.find(known);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(SCOPES);
    await grant.save();
    return grant;
  },
  cookies: { keys: ["tests-only-cookie-key-not-a-secret"] },
  ttl: { IdToken: 600, AccessToken: 600, Session: 3600, Interaction: 600, Grant: 3600 },
});
provider.proxy = false;

function page(res, uid, message) {
  res.writeHead(message ? 401 : 200, { "content-type": "text/html; charset=utf-8" });
  res.end(`<!doctype html><title>Test IdP sign-in</title><h1>Test IdP</h1>
<p class="error">${escape(message ?? "")}</p>
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Login <input name="login" autofocus></label>
<label>Password <input name="password" type="password"></label>
<button type="submit">Sign in</button></form>`);
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10000) throw new Error("form too large");
  }
  return new URLSearchParams(body);
}

const callback = provider.callback();
createServer(async (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === "GET") return page(res, details.uid);
    const form = await readForm(req);
    const account = config.accounts[form.get("login")];
    if (!account || account.password !== form.get("password")) {
      return page(res, details.uid, "Wrong login or password");
    }
    await provider.interactionFinished(req, res, { login: { accountId: form.get("login") } },
                                       { mergeWithLastSubmission: false });
  } catch (error) {
    res.writeHead(400, { "content-type": "text/plain" });
    res.end(`interaction failed: ${error.message}`);
  }
}).listen(Number(port), "127.0.0.1", () => console.log("ready"));
