//! The standards catalogue held in memory. Standards change only by import, so
//! every read is served from here; a change anywhere bumps the `standards`
//! revision and each process reloads.

use std::sync::{Arc, RwLock};

use myqa_core::standard::Standard;

use crate::{Store, StoreResult};

/// All standards, shared cheaply between requests.
pub type Standards = Arc<Vec<Arc<Standard>>>;

pub struct Catalogue {
    store: Store,
    standards: RwLock<Standards>,
}

impl Catalogue {
    pub async fn load(store: Store) -> StoreResult<Catalogue> {
        let standards = Self::read(&store).await?;
        Ok(Catalogue {
            store,
            standards: RwLock::new(standards),
        })
    }

    async fn read(store: &Store) -> StoreResult<Standards> {
        Ok(Arc::new(
            store.standards().await?.into_iter().map(Arc::new).collect(),
        ))
    }

    pub async fn reload(&self) -> StoreResult<()> {
        let fresh = Self::read(&self.store).await?;
        *self.standards.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    /// Every standard, ordered by code.
    pub fn all(&self) -> Standards {
        self.standards
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The standard named by `id_or_code` (a UUID, or a code in any spelling).
    pub fn find(&self, id_or_code: &str) -> Option<Arc<Standard>> {
        self.all()
            .iter()
            .find(|s| s.is_named_by(id_or_code))
            .cloned()
    }
}
