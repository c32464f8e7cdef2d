import Hummingbird

/// `GET /oauth/consent?request=<id>` and its script (issue 14 item 2): a plain page, with no
/// console build step, that signs the member in if needed and asks which identity and policy the
/// client acts as. It only calls the member API (`/v1/oauth/requests/...`, `/v1/login`) with the
/// session cookie, so it holds no authority of its own. Served under the console's security
/// headers: the script is a separate same-origin file (no inline script), and every value from
/// the request (client name, redirect URI) is inserted as text, never as HTML.
struct OAuthConsentPage: Sendable {
    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/oauth/consent") { _, _ in Self.answer(Self.html, type: "text/html; charset=utf-8") }
        router.get("/oauth/consent.js") { _, _ in Self.answer(Self.script, type: "text/javascript; charset=utf-8") }
    }

    private static func answer(_ text: String, type: String) -> Response {
        var headers = ConsoleRoutes.securityHeaders
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static let html = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Portcullis: authorize a client</title>
        <script type="module" src="/oauth/consent.js"></script></head>
        <body>
        <main>
          <h1>Authorize a client</h1>
          <p id="status">Loading…</p>
          <form id="signin" hidden>
            <p>Sign in to continue.</p>
            <label>Email <input name="email" type="email" autocomplete="username" required></label>
            <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
            <button type="submit">Sign in</button>
          </form>
          <form id="consent" hidden>
            <p><strong id="client-name"></strong> (<code id="client-id"></code>) asks to use <strong id="server-name"></strong>
               with the scopes <code id="scope"></code>. You will be sent back to <code id="redirect-uri"></code>.</p>
            <label>Act as identity <select name="identity"></select></label>
            <label>or a new identity labelled <input name="identity_label" maxlength="200"></label>
            <label>Under policy <select name="policy"><option value="">No policy (deny by default)</option></select></label>
            <button type="submit" name="decision" value="allow">Allow</button>
            <button type="submit" name="decision" value="deny">Deny</button>
          </form>
        </main>
        </body>
        </html>
        """

    static let script = """
        const requestID = new URLSearchParams(location.search).get("request") || "";
        const status = document.getElementById("status");
        const csrf = { "Content-Type": "application/json", "X-Portcullis-CSRF": "1" };
        const problem = async (response) => { try { return (await response.json()).detail || response.statusText; } catch { return response.statusText; } };

        async function load() {
          const response = await fetch(`/v1/oauth/requests/${encodeURIComponent(requestID)}`, { credentials: "same-origin" });
          if (response.status === 401) { status.textContent = ""; document.getElementById("signin").hidden = false; return; }
          if (!response.ok) { status.textContent = await problem(response); return; }
          show(await response.json());
        }

        function option(select, value, text) {
          const element = document.createElement("option");
          element.value = value;
          element.textContent = text;
          select.append(element);
        }

        function show(request) {
          status.textContent = "";
          document.getElementById("client-name").textContent = request.client_name || "A client";
          document.getElementById("client-id").textContent = request.client_id;
          document.getElementById("server-name").textContent = request.server.name || request.server.id;
          document.getElementById("scope").textContent = request.scope;
          document.getElementById("redirect-uri").textContent = request.redirect_uri;
          const form = document.getElementById("consent");
          option(form.identity, "", "(choose, or type a new label below)");
          for (const identity of request.identities) option(form.identity, identity.id, identity.label);
          for (const policy of request.policies) option(form.policy, policy.id, policy.name);
          form.hidden = false;
          form.addEventListener("submit", async (event) => {
            event.preventDefault();
            const decision = event.submitter ? event.submitter.value : "deny";
            const body = { decision };
            if (decision === "allow") {
              if (form.identity.value) body.identity_id = form.identity.value; else body.identity_label = form.identity_label.value.trim();
              body.policy_id = form.policy.value || null;
            }
            const response = await fetch(`/v1/oauth/requests/${encodeURIComponent(requestID)}/decision`,
              { method: "POST", credentials: "same-origin", headers: csrf, body: JSON.stringify(body) });
            if (!response.ok) { status.textContent = await problem(response); return; }
            location.assign((await response.json()).redirect_to);
          });
        }

        document.getElementById("signin").addEventListener("submit", async (event) => {
          event.preventDefault();
          const form = event.target;
          const response = await fetch("/v1/login", { method: "POST", credentials: "same-origin", headers: csrf,
            body: JSON.stringify({ email: form.email.value, password: form.password.value, session: true }) });
          if (!response.ok) { status.textContent = await problem(response); return; }
          form.hidden = true;
          await load();
        });

        load();
        """
}
