use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::{Mutex, RwLock};

use crate::AuthError;

/// Keys are refreshed this often even when every `kid` is known, so revoked keys age out.
const MAX_AGE: Duration = Duration::from_secs(600);
/// An unknown `kid` triggers a refetch at most this often, so forged kids cannot hammer the issuer.
const REFETCH_COOLDOWN: Duration = Duration::from_secs(1);

struct Key {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

#[derive(Default)]
struct Cached {
    keys: Vec<Key>,
    fetched_at: Option<Instant>,
}

/// A cached JSON Web Key Set, refetched when stale or when a token names a key it does not hold.
pub(crate) struct Jwks {
    url: String,
    client: reqwest::Client,
    cache: RwLock<Cached>,
    refetch: Mutex<()>,
}

/// The one algorithm a JWK may verify, from its key type (and its `alg` when it states one).
fn algorithm_of(jwk: &jsonwebtoken::jwk::Jwk) -> Option<Algorithm> {
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        _ => return None,
    };
    match jwk.common.key_algorithm.map(|a| a.to_string()) {
        Some(stated) if stated != format!("{by_type:?}") => None,
        _ => Some(by_type),
    }
}

impl Jwks {
    pub(crate) fn new(url: String) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("HTTP client with rustls");
        Jwks {
            url,
            client,
            cache: RwLock::default(),
            refetch: Mutex::new(()),
        }
    }

    pub(crate) async fn key_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, AuthError> {
        {
            let cache = self.cache.read().await;
            let fresh = cache.fetched_at.is_some_and(|t| t.elapsed() < MAX_AGE);
            if let (true, Some(key)) = (fresh, find(&cache.keys, kid, alg)) {
                return Ok(key);
            }
        }
        // One refetch at a time; whoever waited re-checks what the winner fetched.
        let _turn = self.refetch.lock().await;
        let recently = self
            .cache
            .read()
            .await
            .fetched_at
            .is_some_and(|t| t.elapsed() < REFETCH_COOLDOWN);
        if !recently {
            match self.fetch().await {
                Ok(keys) => {
                    *self.cache.write().await = Cached {
                        keys,
                        fetched_at: Some(Instant::now()),
                    }
                }
                Err(e) => {
                    tracing::warn!(jwks_url = %self.url, error = %e, "could not fetch the JWKS; tokens signed by its keys are refused");
                    self.cache.write().await.fetched_at = Some(Instant::now());
                }
            }
        }
        let cache = self.cache.read().await;
        find(&cache.keys, kid, alg).ok_or_else(|| AuthError::Invalid("unknown signing key".into()))
    }

    async fn fetch(&self) -> Result<Vec<Key>, reqwest::Error> {
        let set: JwkSet = self
            .client
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| {
                let alg = algorithm_of(jwk)?;
                let key = DecodingKey::from_jwk(jwk).ok()?;
                Some(Key {
                    kid: jwk.common.key_id.clone(),
                    alg,
                    key,
                })
            })
            .collect())
    }
}

/// The key named by `kid`, or, for a token without `kid`, the set's only key for that algorithm.
fn find(keys: &[Key], kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
    let mut candidates = keys.iter().filter(|k| k.alg == alg);
    match kid {
        Some(kid) => candidates
            .find(|k| k.kid.as_deref() == Some(kid))
            .map(|k| k.key.clone()),
        None => {
            let first = candidates.next()?;
            candidates.next().is_none().then(|| first.key.clone())
        }
    }
}
