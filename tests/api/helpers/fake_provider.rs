//! A small OpenID Connect provider inside the tests (axum on port 0, its own RSA keys) that
//! behaves like Authelia by default and misbehaves on demand.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "photoprism";
pub const CLIENT_SECRET: &str = "insecure_secret";

const KEYS: [(&str, &str, &str); 2] = [
    ("key-1", include_str!("../fixtures/rsa1.pem"), include_str!("../fixtures/rsa1.jwk.json")),
    ("key-2", include_str!("../fixtures/rsa2.pem"), include_str!("../fixtures/rsa2.jwk.json")),
];

/// How the provider signs ID tokens (and signed userinfo).
#[derive(Clone, Debug)]
pub enum Signing {
    /// RS256 with key `n` (0 or 1), naming it in `kid` when `with_kid`.
    Rsa { key: usize, with_kid: bool },
    /// RS256 with key `key` but the header names the other key: a bad signature.
    WrongKey { key: usize },
    /// HS256 with the client secret as the key.
    Hs256WithClientSecret,
    /// `alg: none`, no signature.
    Unsigned,
}

/// What the callback carries as `iss`.
#[derive(Clone, Debug)]
pub enum IssParam {
    Correct,
    Wrong(String),
    Missing,
}

/// The `at_hash` claim of ID tokens (RS256, so the left half of the access token's SHA-256).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtHash {
    Absent,
    Correct,
    /// The hash of another access token.
    Wrong,
}

fn at_hash_of(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(access_token.as_bytes())[..16])
}

type Tweak = Arc<dyn Fn(&mut Map<String, Value>) + Send + Sync>;

/// The provider's behaviour and what it saw; change it between steps of a test.
pub struct Behaviour {
    pub discovery_issuer: Option<String>,
    pub discovery_status: u16,
    pub end_session_endpoint: bool,
    /// Advertise PKCE S256 in discovery.
    pub pkce: bool,
    pub signing: Signing,
    /// Which keys the key set publishes.
    pub published_keys: Vec<usize>,
    pub iss_param: IssParam,
    pub deny: bool,
    /// The person signed in at the provider: subject, claims in the ID token, claims in userinfo.
    pub sub: String,
    pub id_token_claims: Map<String, Value>,
    pub userinfo_claims: Map<String, Value>,
    pub id_token_tweak: Option<Tweak>,
    pub at_hash: AtHash,
    pub userinfo_tweak: Option<Tweak>,
    /// Changes the token endpoint's JSON answer.
    pub token_response_tweak: Option<Tweak>,
    pub userinfo_as_jwt: bool,
    /// How a userinfo JWT is signed when not like the ID token.
    pub userinfo_signing: Option<Signing>,
    // What was seen.
    pub authorize_requests: Vec<HashMap<String, String>>,
    pub token_authorization: Vec<String>,
    pub token_forms: Vec<HashMap<String, String>>,
    pub userinfo_authorization: Vec<String>,
    pub jwks_fetches: usize,
    pub last_id_token: Option<String>,
    codes: HashMap<String, Grant>,
    access_tokens: HashMap<String, (String, Map<String, Value>)>,
}

#[derive(Clone)]
struct Grant {
    nonce: Option<String>,
    challenge: Option<String>,
    redirect_uri: String,
}

pub struct FakeProvider {
    pub issuer: String,
    pub behaviour: Arc<Mutex<Behaviour>>,
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

impl FakeProvider {
    /// Starts a provider that acts like Authelia 4.39 with the seed's client: profile, email and
    /// groups only in userinfo, RS256, PKCE S256 advertised, `iss` on the callback.
    pub async fn start() -> FakeProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let behaviour = Arc::new(Mutex::new(Behaviour {
            discovery_issuer: None,
            discovery_status: 200,
            end_session_endpoint: false,
            pkce: true,
            signing: Signing::Rsa { key: 0, with_kid: true },
            published_keys: vec![0],
            iss_param: IssParam::Correct,
            deny: false,
            sub: "5e5a9f0e-0d7c-4a35-9a51-6d0b6a7f2c11".into(),
            id_token_claims: Map::new(),
            userinfo_claims: obj(json!({
                "preferred_username": "alice",
                "name": "Alice Liddell",
                "email": "alice@example.com",
                "email_verified": true,
                "groups": ["family"],
            })),
            id_token_tweak: None,
            at_hash: AtHash::Absent,
            userinfo_tweak: None,
            token_response_tweak: None,
            userinfo_as_jwt: false,
            userinfo_signing: None,
            authorize_requests: Vec::new(),
            token_authorization: Vec::new(),
            token_forms: Vec::new(),
            userinfo_authorization: Vec::new(),
            jwks_fetches: 0,
            last_id_token: None,
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
        }));
        let state = Shared { issuer: issuer.clone(), behaviour: behaviour.clone() };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks.json", get(jwks))
            .route("/api/oidc/authorization", get(authorize))
            .route("/api/oidc/token", post(token))
            .route("/api/oidc/userinfo", get(userinfo))
            .route("/logout", get(|| async { "signed out at the provider" }))
            .with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeProvider { issuer, behaviour }
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut Behaviour) -> R) -> R {
        f(&mut self.behaviour.lock().unwrap())
    }

    /// Signs `claims` the way the provider currently signs.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_typ("JWT", claims)
    }

    /// Signs `claims` the way the provider currently signs, with `typ` in the header.
    pub fn sign_with_typ(&self, typ: &str, claims: &Value) -> String {
        let signing = self.with(|b| b.signing.clone());
        sign_with_typ(&signing, typ, claims)
    }

    /// The seed's environment for Shoebox against this provider (plus the test-only bits).
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("OIDC_URI", self.issuer.as_str()),
            ("OIDC_CLIENT", CLIENT_ID),
            ("OIDC_SECRET", CLIENT_SECRET),
            ("OIDC_PROVIDER", "authelia"),
            ("OIDC_REGISTER", "true"),
            ("OIDC_INSECURE", "true"),
            ("SITE_URL", "http://127.0.0.1:2342/"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

pub fn sign(signing: &Signing, claims: &Value) -> String {
    sign_with_typ(signing, "JWT", claims)
}

/// Signs `claims` with `typ` in the header (the `jsonwebtoken` default, and most providers', is
/// `JWT`); the unsigned token keeps `JWT`.
pub fn sign_with_typ(signing: &Signing, typ: &str, claims: &Value) -> String {
    let header = |alg| Header { typ: Some(typ.to_string()), ..Header::new(alg) };
    match signing {
        Signing::Rsa { key, with_kid } => {
            let mut h = header(Algorithm::RS256);
            if *with_kid {
                h.kid = Some(KEYS[*key].0.to_string());
            }
            jsonwebtoken::encode(&h, claims, &EncodingKey::from_rsa_pem(KEYS[*key].1.as_bytes()).unwrap()).unwrap()
        }
        Signing::WrongKey { key } => {
            let mut h = header(Algorithm::RS256);
            h.kid = Some(KEYS[1 - *key].0.to_string());
            jsonwebtoken::encode(&h, claims, &EncodingKey::from_rsa_pem(KEYS[*key].1.as_bytes()).unwrap()).unwrap()
        }
        Signing::Hs256WithClientSecret => {
            jsonwebtoken::encode(&header(Algorithm::HS256), claims, &EncodingKey::from_secret(CLIENT_SECRET.as_bytes()))
                .unwrap()
        }
        Signing::Unsigned => {
            let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            let c = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
            format!("{h}.{c}.")
        }
    }
}

#[derive(Clone)]
struct Shared {
    issuer: String,
    behaviour: Arc<Mutex<Behaviour>>,
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn random() -> String {
    let bytes: [u8; 24] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

async fn discovery(State(s): State<Shared>) -> Response {
    let b = s.behaviour.lock().unwrap();
    if b.discovery_status != 200 {
        return StatusCode::from_u16(b.discovery_status).unwrap().into_response();
    }
    let i = &s.issuer;
    let mut doc = json!({
        "issuer": b.discovery_issuer.clone().unwrap_or_else(|| i.clone()),
        "jwks_uri": format!("{i}/jwks.json"),
        "authorization_endpoint": format!("{i}/api/oidc/authorization"),
        "token_endpoint": format!("{i}/api/oidc/token"),
        "userinfo_endpoint": format!("{i}/api/oidc/userinfo"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "code_challenge_methods_supported": ["S256"],
        // Like Authelia: HMAC algorithms are listed too, and must still be refused.
        "id_token_signing_alg_values_supported": ["HS256", "RS256"],
        "userinfo_signing_alg_values_supported": ["RS256", "none"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "authorization_response_iss_parameter_supported": true,
    });
    if !b.pkce {
        doc.as_object_mut().unwrap().remove("code_challenge_methods_supported");
    }
    if b.end_session_endpoint {
        doc["end_session_endpoint"] = json!(format!("{i}/logout"));
    }
    Json(doc).into_response()
}

async fn jwks(State(s): State<Shared>) -> Json<Value> {
    let mut b = s.behaviour.lock().unwrap();
    b.jwks_fetches += 1;
    let keys: Vec<Value> = b
        .published_keys
        .iter()
        .map(|i| {
            let mut k: Value = serde_json::from_str(KEYS[*i].2).unwrap();
            k["kty"] = json!("RSA");
            k["kid"] = json!(KEYS[*i].0);
            k["use"] = json!("sig");
            k["alg"] = json!("RS256");
            k
        })
        .collect();
    Json(json!({ "keys": keys }))
}

async fn authorize(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut b = s.behaviour.lock().unwrap();
    b.authorize_requests.push(q.clone());
    let redirect_uri = q.get("redirect_uri").cloned().unwrap_or_default();
    let mut target = url::Url::parse(&redirect_uri).unwrap();
    {
        let mut pairs = target.query_pairs_mut();
        if b.deny {
            pairs.append_pair("error", "access_denied");
            pairs.append_pair("error_description", "The resource owner denied the request.");
        } else {
            let code = random();
            b.codes.insert(
                code.clone(),
                Grant { nonce: q.get("nonce").cloned(), challenge: q.get("code_challenge").cloned(), redirect_uri },
            );
            pairs.append_pair("code", &code);
            pairs.append_pair("scope", q.get("scope").map(String::as_str).unwrap_or(""));
        }
        if let Some(state) = q.get("state") {
            pairs.append_pair("state", state);
        }
        match &b.iss_param {
            IssParam::Correct => {
                pairs.append_pair("iss", &s.issuer);
            }
            IssParam::Wrong(other) => {
                pairs.append_pair("iss", other);
            }
            IssParam::Missing => {}
        }
    }
    Redirect::to(target.as_str()).into_response()
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

async fn token(State(s): State<Shared>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut b = s.behaviour.lock().unwrap();
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    b.token_authorization.push(authorization.clone());
    b.token_forms.push(form.clone());
    let expected = format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    if authorization != expected {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let Some(grant) = form.get("code").and_then(|c| b.codes.remove(c)) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    if let Some(challenge) = &grant.challenge {
        let verifier = form.get("code_verifier").cloned().unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != *challenge {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
        }
    }
    let t = now();
    let mut claims = obj(json!({
        "iss": s.issuer,
        "sub": b.sub,
        "aud": [CLIENT_ID],
        "exp": t + 3600,
        "iat": t,
        "auth_time": t - 5,
        "jti": random(),
        "amr": ["pwd", "otp", "mfa"],
        "azp": CLIENT_ID,
        "sid": "provider-session-1",
    }));
    if let Some(n) = grant.nonce {
        claims.insert("nonce".into(), json!(n));
    }
    let access_token = format!("authelia_at_{}", random());
    match b.at_hash {
        AtHash::Absent => {}
        AtHash::Correct => {
            claims.insert("at_hash".into(), json!(at_hash_of(&access_token)));
        }
        AtHash::Wrong => {
            claims.insert("at_hash".into(), json!(at_hash_of("another access token")));
        }
    }
    claims.extend(b.id_token_claims.clone());
    if let Some(tweak) = b.id_token_tweak.clone() {
        tweak(&mut claims);
    }
    let id_token = sign(&b.signing, &Value::Object(claims));
    b.last_id_token = Some(id_token.clone());
    let mut info = b.userinfo_claims.clone();
    info.insert("sub".into(), json!(b.sub));
    let sub = b.sub.clone();
    b.access_tokens.insert(access_token.clone(), (sub, info));
    let mut answer = obj(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": 3599,
        "id_token": id_token,
        "scope": "openid profile email",
    }));
    if let Some(tweak) = b.token_response_tweak.clone() {
        tweak(&mut answer);
    }
    Json(Value::Object(answer)).into_response()
}

async fn userinfo(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let mut b = s.behaviour.lock().unwrap();
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    b.userinfo_authorization.push(authorization.clone());
    let token = authorization.strip_prefix("Bearer ").unwrap_or("");
    let Some((_, claims)) = b.access_tokens.get(token).cloned() else {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")])
            .into_response();
    };
    let mut claims = claims;
    if let Some(tweak) = b.userinfo_tweak.clone() {
        tweak(&mut claims);
    }
    if b.userinfo_as_jwt {
        claims.insert("iss".into(), json!(s.issuer));
        claims.insert("aud".into(), json!(CLIENT_ID));
        let jwt = sign(b.userinfo_signing.as_ref().unwrap_or(&b.signing), &Value::Object(claims));
        return ([(header::CONTENT_TYPE, "application/jwt")], jwt).into_response();
    }
    Json(Value::Object(claims)).into_response()
}
