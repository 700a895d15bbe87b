//! The provider's data in the `openidconnect` crate's types: discovery metadata, claims, the token response.

use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGenderClaim, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType, CoreTokenType,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AdditionalProviderMetadata, EmptyExtraTokenFields, ExtraTokenFields, IdToken,
    IdTokenClaims, LogoutProviderMetadata, OAuth2TokenResponse, ProviderMetadata, RefreshToken, Scope,
    StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Discovery fields the crate's core metadata type has no place for.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct MoreMetadata {
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207: the provider puts `iss` on every answer to the callback.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

impl AdditionalProviderMetadata for MoreMetadata {}

/// The provider's discovery document, in the crate's types; `end_session_endpoint` comes with
/// the crate's RP-initiated logout metadata.
pub type Metadata = ProviderMetadata<
    LogoutProviderMetadata<MoreMetadata>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Every claim that is not one of the standard profile claims, as the provider sent it:
/// `groups`, `sid`, a configured username claim, and so on.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub struct OtherClaims(pub Map<String, Value>);

impl AdditionalClaims for OtherClaims {}

pub type ProviderIdToken =
    IdToken<OtherClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;
pub type ProviderIdTokenClaims = IdTokenClaims<OtherClaims, CoreGenderClaim>;

/// The token endpoint's fields, the ID token as text.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct TokenFields {
    #[serde(flatten)]
    oauth: StandardTokenResponse<EmptyExtraTokenFields, CoreTokenType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// The token endpoint's answer. Unlike the crate's own response type it keeps an ID token it
/// cannot parse (a required claim missing) as text: such a token must be refused as "could not
/// be verified" with the reason, not fail the whole exchange as an unreadable response. And it
/// reads `expires_in` and `scope`, which Shoebox does not use, leniently (see
/// [`lenient_token_fields`]): before the crate they were not read at all, and a provider that
/// sends `"expires_in": "3599"` must not make every sign-in fail.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(try_from = "Map<String, Value>", into = "TokenFields")]
pub struct TokenResponse {
    fields: TokenFields,
    parsed_id_token: Option<ProviderIdToken>,
}

impl TryFrom<Map<String, Value>> for TokenResponse {
    type Error = serde_json::Error;

    fn try_from(mut fields: Map<String, Value>) -> Result<Self, Self::Error> {
        lenient_token_fields(&mut fields);
        let fields: TokenFields = serde_json::from_value(Value::Object(fields))?;
        let parsed_id_token = fields.id_token.as_deref().and_then(|t| t.parse().ok());
        Ok(TokenResponse { fields, parsed_id_token })
    }
}

/// Makes the token response's `expires_in` and `scope` what the crate's types read (RFC 6749
/// 5.1: seconds as a number, scopes as one space-separated string), or leaves them out. Seen in
/// the wild: `expires_in` as a string or with a fraction, `scope` as a list.
fn lenient_token_fields(fields: &mut Map<String, Value>) {
    let seconds = match fields.get("expires_in") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_f64()),
        Some(Value::String(s)) => Some(s.trim().parse::<f64>().ok()),
        Some(_) => Some(None),
    };
    match seconds {
        None => {}
        Some(Some(s)) if s.is_finite() && s >= 0.0 && s < u64::MAX as f64 => {
            fields.insert("expires_in".into(), Value::from(s as u64));
        }
        Some(_) => {
            fields.remove("expires_in");
        }
    }
    match fields.get("scope") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            let joined = items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" ");
            fields.insert("scope".into(), Value::String(joined));
        }
        Some(_) => {
            fields.remove("scope");
        }
    }
}

impl From<TokenResponse> for TokenFields {
    fn from(response: TokenResponse) -> Self {
        response.fields
    }
}

impl TokenResponse {
    /// The ID token exactly as the provider sent it.
    pub fn id_token_text(&self) -> Option<&str> {
        self.fields.id_token.as_deref()
    }
}

impl ExtraTokenFields for TokenFields {}

impl OAuth2TokenResponse for TokenResponse {
    type TokenType = CoreTokenType;

    fn access_token(&self) -> &AccessToken {
        self.fields.oauth.access_token()
    }
    fn token_type(&self) -> &CoreTokenType {
        self.fields.oauth.token_type()
    }
    fn expires_in(&self) -> Option<Duration> {
        self.fields.oauth.expires_in()
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.fields.oauth.refresh_token()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.fields.oauth.scopes()
    }
}

impl
    openidconnect::TokenResponse<
        OtherClaims,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    > for TokenResponse
{
    fn id_token(&self) -> Option<&ProviderIdToken> {
        self.parsed_id_token.as_ref()
    }
}
