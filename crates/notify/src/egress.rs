//! Where the server may send messages: targets come from users (a webhook URL, a push endpoint a
//! browser or a script posted), so addresses on the server's own machine and networks
//! ([`todo_domain::is_public`]) are refused: after DNS resolution by the client's own resolver (the
//! connection goes to the checked address, so a DNS answer cannot change in between), and IP literals
//! before connecting. Tests and development may allow them.

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use todo_domain::is_public;

/// An address a message may not be sent to.
#[derive(Debug)]
pub(crate) struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "refused: {} is a loopback, private, link-local or other internal address",
            self.0
        )
    }
}

impl std::error::Error for Refused {}

impl Refused {
    /// The refusal inside a failed request, if that is why it failed.
    pub(crate) fn within<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
        let mut cur = Some(e);
        while let Some(err) = cur {
            if let Some(r) = err.downcast_ref::<Refused>() {
                return Some(r);
            }
            cur = err.source();
        }
        None
    }
}

/// A resolver that answers only public addresses; a name with none is refused.
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| is_public(a.ip()))
                .collect();
            if public.is_empty() {
                let shown = found
                    .first()
                    .map_or_else(|| name.as_str().to_owned(), |a| a.ip().to_string());
                return Err(Box::new(Refused(format!("{} ({shown})", name.as_str()))) as _);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Refuses a URL whose host is a non-public IP literal (the resolver never sees those).
pub(crate) fn check_literal(url: &url::Url) -> Result<(), Refused> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        _ => return Ok(()),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(Refused(ip.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_literals_are_refused_and_names_left_to_the_resolver() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        for bad in [
            "https://[::1]/x",
            "https://10.0.0.1/x",
            "http://169.254.169.254/",
        ] {
            let e = check_literal(&url(bad)).unwrap_err();
            assert!(e.to_string().starts_with("refused: "), "{bad}: {e}");
        }
        assert!(check_literal(&url("https://142.250.185.74/x")).is_ok());
        assert!(check_literal(&url("https://fcm.googleapis.com/x")).is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_with_only_internal_addresses() {
        let err = PublicOnly
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost is refused");
        assert!(Refused::within(err.as_ref()).is_some(), "{err}");
    }
}
