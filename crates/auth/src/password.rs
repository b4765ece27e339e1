use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, OnceLock};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// At most this many hashes run at once, each on its own long-lived thread with its own argon2
/// memory (19 MiB): the process holds at most that much for passwords however many requests arrive,
/// and none once the queue is empty.
const PASSWORD_THREADS: usize = 2;

thread_local! {
    /// Argon2's working memory, reused by every hash on this thread while work is queued and given
    /// back when the queue is empty. (Allocated per hash on request threads, glibc kept the freed
    /// 19 MiB in each thread's arena, so RSS grew with the number of threads that had ever hashed.)
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Jobs sent to the password threads and not yet taken by one.
static QUEUED: AtomicUsize = AtomicUsize::new(0);

/// Makes glibc serve large allocations (argon2's 19 MiB) from their own mappings and unmap them when
/// freed. By default glibc raises that threshold after the first such free, and later blocks come from
/// a heap that keeps them, so freed argon2 memory would stay in the process.
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes the allocator's tuning; a fixed threshold also turns off its
    // dynamic adjustment. It is called once, before the password threads allocate.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Argon2 of `password` and `salt` into `out`, with this thread's reused memory. Every block is
/// written before it is read, so memory left by an earlier hash does not affect the result.
fn argon2_into(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    MEMORY.with_borrow_mut(|memory| {
        let blocks = params.block_count();
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        Argon2::new(algorithm, version, params).hash_password_into_with_memory(
            password,
            salt,
            out,
            &mut memory[..blocks],
        )
    })
}

/// An argon2id PHC string (OWASP's recommended parameters are argon2's defaults). Keeps 19 MiB on the
/// calling thread for the next hash: call it through [`on_password_thread`], which gives it back once
/// no more work is queued.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).expect("a generated salt");
    let params = Params::default();
    let hash = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        argon2_into(
            Algorithm::Argon2id,
            Version::V0x13,
            params.clone(),
            password.as_bytes(),
            salt_bytes,
            out,
        )
        .map_err(Into::into)
    })
    .expect("argon2 with default parameters");
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).expect("default parameters encode"),
        salt: Some(salt.as_salt()),
        hash: Some(hash),
    }
    .to_string()
}

/// Whether `password` hashes to `stored`'s output with `stored`'s algorithm, version, parameters and salt.
fn matches(password: &str, stored: &PasswordHash<'_>) -> bool {
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(stored.algorithm),
        Params::try_from(stored),
    ) else {
        return false;
    };
    let Ok(version) = Version::try_from(stored.version.unwrap_or(Version::default().into())) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    Output::init_with(expected.len(), |out| {
        argon2_into(
            algorithm,
            version,
            params,
            password.as_bytes(),
            salt_bytes,
            out,
        )
        .map_err(Into::into)
    })
    // `Output`'s equality is constant-time.
    .is_ok_and(|computed| computed == expected)
}

/// Checks `password` against a stored hash. With no stored hash it still spends the time of one
/// verification, so response time does not reveal whether an account exists. Like [`hash_password`],
/// call it through [`on_password_thread`].
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("timing equaliser"));
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    matches(password, &parsed) && real
}

type Job = Box<dyn FnOnce() + Send>;

/// The queue the password threads take work from, started on first use.
fn password_queue() -> &'static mpsc::Sender<Job> {
    static QUEUE: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        return_large_blocks_to_the_system();
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism()
            .map_or(PASSWORD_THREADS, |n| n.get().min(PASSWORD_THREADS));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("password-{i}"))
                .spawn(move || loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    QUEUED.fetch_sub(1, Ordering::AcqRel);
                    // A panicking job loses its answer (its caller sees `None`), not the thread.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    if QUEUED.load(Ordering::Acquire) == 0 {
                        MEMORY.with_borrow_mut(|memory| *memory = Vec::new());
                    }
                })
                .expect("spawn a password thread");
        }
        tx
    })
}

/// Runs `work` (hashing or verifying passwords) on one of a few long-lived password threads, after
/// the work queued before it; `None` if it panicked. Work whose caller stopped waiting (a request
/// that timed out or hung up) is skipped, so a flood of abandoned requests costs no hashing.
pub async fn on_password_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        if !tx.is_closed() {
            let _ = tx.send(work());
        }
    });
    let queue = password_queue();
    QUEUED.fetch_add(1, Ordering::AcqRel);
    if queue.send(job).is_err() {
        QUEUED.fetch_sub(1, Ordering::AcqRel);
        return None;
    }
    rx.await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hashes_verify_only_the_right_password() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse", Some(&h)));
        assert!(!verify_password("wrong horse", Some(&h)));
        assert!(!verify_password("timing equaliser", None));
        assert!(!verify_password("correct horse", Some("not a hash")));
    }

    /// Reused memory gives the library's answers: hashes made either way verify the other way.
    #[test]
    fn reused_memory_agrees_with_argon2_allocating_its_own() {
        let ours = hash_password("first");
        let second = hash_password("second");
        let library = Argon2::default()
            .hash_password(b"third", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        for (password, hash) in [("first", &ours), ("second", &second)] {
            let parsed = PasswordHash::new(hash).unwrap();
            assert!(Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok());
        }
        assert!(verify_password("third", Some(&library)));
        // Other parameters (a hash made elsewhere) use the same memory, resized.
        let small = Argon2::from(Params::new(1024, 1, 1, None).unwrap())
            .hash_password(b"fourth", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify_password("fourth", Some(&small)));
        assert!(!verify_password("fifth", Some(&small)));
    }

    #[tokio::test]
    async fn password_threads_answer_and_survive_a_panic() {
        let h = on_password_thread(|| hash_password("queued"))
            .await
            .unwrap();
        assert_eq!(on_password_thread(|| -> u8 { panic!("boom") }).await, None);
        let checks: Vec<_> = (0..4)
            .map(|_| {
                let h = h.clone();
                tokio::spawn(on_password_thread(move || {
                    verify_password("queued", Some(&h))
                }))
            })
            .collect();
        for check in checks {
            assert_eq!(check.await.unwrap(), Some(true));
        }
    }
}
