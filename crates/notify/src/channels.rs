//! The channels messages leave through. Each is a [`Sender`]; the scheduler retries what fails.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use todo_storage::{Channel, Delivery};

/// What one attempt at a message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver took it (a 2xx).
    Sent { status: u16 },
    /// It did not arrive; `retry` when trying again later may help (a timeout, a 5xx, a 429), not
    /// when it cannot (a refused target, a subscription that is gone).
    Failed {
        status: Option<u16>,
        error: String,
        retry: bool,
    },
}

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// Sends a claimed message to its target (a webhook endpoint, a push subscription).
pub trait Sender: Send + Sync {
    fn send<'a>(&'a self, delivery: &'a Delivery) -> SendFuture<'a>;
}

/// The senders of this process, by channel.
#[derive(Clone, Default)]
pub struct Channels(HashMap<Channel, Arc<dyn Sender>>);

impl Channels {
    pub fn with(mut self, channel: Channel, sender: Arc<dyn Sender>) -> Self {
        self.0.insert(channel, sender);
        self
    }

    pub(crate) async fn send(&self, delivery: &Delivery) -> Outcome {
        match self.0.get(&delivery.channel) {
            Some(sender) => sender.send(delivery).await,
            None => Outcome::Failed {
                status: None,
                error: format!("this server cannot send {:?} messages", delivery.channel),
                retry: false,
            },
        }
    }
}
