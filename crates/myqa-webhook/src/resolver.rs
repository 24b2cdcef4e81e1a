//! Name resolution behind a trait, so the same checks run on the system
//! resolver in production and on a table in tests (a name that points at
//! 127.0.0.1, or that changes between request and delivery).

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::sync::RwLock;

use futures_util::future::BoxFuture;

pub trait Resolve: Send + Sync {
    /// Every address `host` resolves to.
    fn resolve<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<IpAddr>>>;
}

/// The operating system's resolver.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        Box::pin(async move {
            let addresses = tokio::net::lookup_host((host, 0)).await?;
            let mut ips: Vec<IpAddr> = addresses.map(|a| a.ip().to_canonical()).collect();
            ips.dedup();
            Ok(ips)
        })
    }
}

/// A fixed table of names, changeable at run time. Unknown names do not
/// resolve.
#[derive(Debug, Default)]
pub struct StaticResolver {
    table: RwLock<HashMap<String, Vec<IpAddr>>>,
}

impl StaticResolver {
    pub fn new() -> Self {
        Self::default()
    }

    /// Points `host` at `addresses` from now on.
    pub fn set(&self, host: &str, addresses: &[IpAddr]) {
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(host.to_ascii_lowercase(), addresses.to_vec());
    }
}

impl Resolve for StaticResolver {
    fn resolve<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<IpAddr>>> {
        let found = self
            .table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&host.to_ascii_lowercase())
            .cloned();
        Box::pin(async move {
            found.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "name not in table"))
        })
    }
}
