//! Brute-force limits on sign-in and sign-up, checked before any password work so an attack cannot
//! occupy the password threads: a token bucket per client address (in memory, per replica) and a
//! growing delay per account after failed sign-ins (in the database, so it holds across replicas).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::StatusCode;
use chrono::Utc;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use crate::ApiError;

/// How hard sign-in and sign-up are limited.
#[derive(Clone, Debug)]
pub struct AuthLimits {
    /// Attempts one client address may make at once…
    pub per_address_burst: NonZeroU32,
    /// …and then one per this interval.
    pub per_address_interval: Duration,
    /// Failed sign-ins to one account before each further one locks it for a while.
    pub free_failures: u32,
    /// The lock doubles with each failure after the free ones, up to this.
    pub max_lock: Duration,
}

impl Default for AuthLimits {
    fn default() -> Self {
        AuthLimits {
            per_address_burst: NonZeroU32::new(10).expect("non-zero"),
            per_address_interval: Duration::from_secs(6),
            free_failures: 5,
            max_lock: Duration::from_secs(15 * 60),
        }
    }
}

impl AuthLimits {
    /// How long an account stays locked after its `failures`-th failed sign-in in a row.
    pub fn lock_after(&self, failures: u32) -> Duration {
        match failures.checked_sub(self.free_failures + 1) {
            None => Duration::ZERO,
            Some(doublings) => Duration::from_secs(1u64 << doublings.min(30)).min(self.max_lock),
        }
    }
}

/// The proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`); everyone else's is ignored,
/// or any client could pick its own address and escape the per-address limit.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Addresses (`10.0.0.7`) and networks (`10.0.0.0/8`, `fd00::/8`); an error names the bad entry.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let nets = entries
            .iter()
            .map(|e| e.as_ref().trim())
            .filter(|e| !e.is_empty())
            .map(|e| {
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{e:?} is not an IP address or a CIDR network"))
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies(nets))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: walking `X-Forwarded-For` from the right (the entry the nearest proxy
    /// added) past trusted proxies, the first address that is not one; `peer` itself unless it is trusted.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops = forwarded_for.iter().rev().flat_map(|v| v.rsplit(','));
        for hop in hops {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = ip.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        client
    }

    /// The client address of a request, from its connection and trusted `X-Forwarded-For`; without
    /// a connection (a request made in-process) the unspecified address.
    pub fn client_of(&self, parts: &Parts) -> IpAddr {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        self.client(peer, &forwarded)
    }
}

/// The per-address limiter, the attempts each address has running, and the limits.
pub(crate) struct Throttle {
    limits: AuthLimits,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    running: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// Attempts one address may have running (queued for the password threads) at once: a burst from
/// one address then holds at most this many places ahead of everyone else's sign-in.
const RUNNING_PER_ADDRESS: usize = 2;

/// One running attempt of an address; dropping it lets the next one start.
#[derive(Debug)]
pub(crate) struct Running {
    client: IpAddr,
    running: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = running.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                running.remove(&self.client);
            }
        }
    }
}

/// Addresses the limiter remembers before it forgets the ones whose buckets are full again.
const REMEMBERED_ADDRESSES: usize = 10_000;

impl Throttle {
    pub(crate) fn new(limits: AuthLimits) -> Self {
        let quota = Quota::with_period(limits.per_address_interval)
            .expect("configuration keeps the interval above zero")
            .allow_burst(limits.per_address_burst);
        Throttle {
            per_address: RateLimiter::keyed(quota),
            running: Arc::default(),
            limits,
        }
    }

    pub(crate) fn limits(&self) -> &AuthLimits {
        &self.limits
    }

    /// One attempt from `client`, to hold while it runs; 429 when the address has too many running
    /// or has used up its attempts for now.
    pub(crate) fn admit(&self, client: IpAddr) -> Result<Running, ApiError> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let now = running.entry(client).or_default();
        if *now >= RUNNING_PER_ADDRESS {
            return Err(too_many(
                "too many attempts from this address at once",
                Duration::from_secs(1),
            ));
        }
        if self.per_address.len() > REMEMBERED_ADDRESSES {
            self.per_address.retain_recent();
        }
        if let Err(not_until) = self.per_address.check_key(&client) {
            if *now == 0 {
                running.remove(&client);
            }
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return Err(too_many("too many attempts from this address", wait));
        }
        *now += 1;
        Ok(Running {
            client,
            running: self.running.clone(),
        })
    }
}

/// 429 for an account locked until `until`.
pub(crate) fn account_locked(until: chrono::DateTime<Utc>) -> ApiError {
    let wait = (until - Utc::now()).to_std().unwrap_or_default();
    too_many(
        "too many failed sign-ins to this account; wait before trying again",
        wait,
    )
}

fn too_many(message: &str, wait: Duration) -> ApiError {
    // Retry-After counts whole seconds; rounding up never invites a retry that is refused again.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError {
        retry_after: Some(seconds.max(1)),
        ..ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("{message} (retry in {} s)", seconds.max(1)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_behind_trusted_proxies() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8", "192.168.1.1"]).unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // A client that is not a proxy cannot choose its address.
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        // Behind a trusted proxy: the nearest untrusted hop, not what the client wrote further left.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["1.2.3.4, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["1.2.3.4", "198.51.100.7, 192.168.1.1"]),
            ip("198.51.100.7")
        );
        // IPv4-mapped IPv6 peers are their IPv4 address.
        assert_eq!(
            proxies.client(ip("::ffff:10.0.0.1"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the last address known good.
        assert_eq!(
            proxies.client(ip("10.0.0.1"), &["nonsense"]),
            ip("10.0.0.1")
        );
        assert!(TrustedProxies::parse(&["10.0.0.0/33"])
            .unwrap_err()
            .contains("10.0.0.0/33"));
    }

    #[test]
    fn locks_double_after_the_free_failures_up_to_the_cap() {
        let limits = AuthLimits::default();
        let locks: Vec<u64> = (1..=17).map(|n| limits.lock_after(n).as_secs()).collect();
        assert_eq!(
            locks,
            [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
        );
        assert_eq!(limits.lock_after(u32::MAX).as_secs(), 900);
    }

    #[test]
    fn an_address_gets_its_burst_then_429_with_retry_after() {
        let throttle = Throttle::new(AuthLimits::default());
        let a = "198.51.100.7".parse().unwrap();
        let first = throttle.admit(a).unwrap();
        let second = throttle.admit(a).unwrap();
        let refused = throttle.admit(a).unwrap_err();
        assert_eq!(refused.retry_after, Some(1), "two at once at most");
        drop((first, second));
        for _ in 0..8 {
            throttle.admit(a).unwrap();
        }
        let refused = throttle.admit(a).unwrap_err();
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!((1..=6).contains(&refused.retry_after.unwrap()));
        // Another address is not affected.
        throttle.admit("198.51.100.8".parse().unwrap()).unwrap();
    }
}
