//! The server process: `msgsync serve` on a data directory, started, killed, stopped and started
//! again there; what it logs is kept.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::tempdir::TempDir;

/// How long a new process has to announce its address.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// What the server prints once it accepts connections, followed by its address.
const LISTENING: &str = "listening on http://";

/// How often a stopping process is looked at.
const EXIT_POLL: Duration = Duration::from_millis(20);

/// How a [`Server`] is started.
pub struct ServerOptions {
    /// Environment of every process it starts, over the harness's defaults.
    pub env: Vec<(String, String)>,
    /// The data directory (the server creates it if missing); `None`: a fresh temporary directory, removed
    /// with the server.
    pub data_dir: Option<PathBuf>,
    /// Every line the server's processes log is appended to this file too.
    pub log_file: Option<PathBuf>,
    /// How many of the last log lines [`Server::log_tail`] can show.
    pub tail_lines: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            env: Vec::new(),
            data_dir: None,
            log_file: None,
            tail_lines: 200,
        }
    }
}

enum DataDir {
    Temporary(TempDir),
    Given(PathBuf),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            DataDir::Temporary(dir) => dir.path(),
            DataDir::Given(path) => path,
        }
    }
}

/// The log of the server's processes: the last lines in memory, every line in the file.
#[derive(Clone)]
struct Log {
    tail: Arc<Mutex<VecDeque<String>>>,
    file: Option<Arc<Mutex<File>>>,
    keep: usize,
}

impl Log {
    fn push(&self, line: &str) {
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
            let _ = writeln!(file, "{line}");
        }
        let mut tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        if tail.len() == self.keep {
            tail.pop_front();
        }
        tail.push_back(line.to_owned());
    }
}

/// A `msgsync serve` process on a data directory, with an API key of test mode created there.
pub struct Server {
    dir: DataDir,
    bin: PathBuf,
    env: Vec<(String, String)>,
    child: Option<Child>,
    log: Log,
    pub base: String,
    pub key: String,
    pub client: reqwest::Client,
}

impl Server {
    /// A server on a fresh temporary data directory, `env` over the defaults.
    pub async fn start(bin: &Path, env: &[(&str, String)]) -> anyhow::Result<Server> {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        Self::start_with(
            bin,
            ServerOptions {
                env,
                ..ServerOptions::default()
            },
        )
        .await
    }

    pub async fn start_with(bin: &Path, options: ServerOptions) -> anyhow::Result<Server> {
        let dir = match options.data_dir {
            Some(path) => DataDir::Given(path),
            None => DataDir::Temporary(TempDir::new("msgsync-harness")?),
        };
        let file = match &options.log_file {
            Some(path) => Some(Arc::new(Mutex::new(
                File::create(path).with_context(|| format!("creating {}", path.display()))?,
            ))),
            None => None,
        };
        let mut server = Server {
            dir,
            bin: bin.to_owned(),
            env: options.env,
            child: None,
            log: Log {
                tail: Arc::new(Mutex::new(VecDeque::new())),
                file,
                keep: options.tail_lines.max(1),
            },
            base: String::new(),
            key: String::new(),
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()?,
        };
        server.key = server.create_key(&["--name", "harness", "--mode", "test"])?;
        server.respawn().await?;
        Ok(server)
    }

    /// A `msgsync` command on this server's data directory and environment.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env("MSGSYNC_DATA_DIR", self.dir.path())
            .env("MSGSYNC_LISTEN", "127.0.0.1:0")
            .env("MSGSYNC_LOG", "warn,msgsync=info")
            .env_remove("MSGSYNC_DATABASE_URL")
            .env_remove("MSGSYNC_MASTER_KEY");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs `msgsync keys create ARGS…` on the data directory; returns the key it printed.
    pub fn create_key(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = self
            .command()
            .args(["keys", "create"])
            .args(args)
            .output()?;
        if !out.status.success() {
            bail!(
                "keys create failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8(out.stdout)?
            .lines()
            .last()
            .context("no key printed")?
            .trim()
            .to_owned())
    }

    /// Starts `msgsync serve` on the data directory (the previous process must have exited)
    /// and waits until it listens; `base` is then its address.
    pub async fn respawn(&mut self) -> anyhow::Result<()> {
        if self.is_running() {
            bail!("the server is still running");
        }
        let mut child = self
            .command()
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let stderr = child.stderr.take().context("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        let log = self.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let addr = line
                    .find(LISTENING)
                    .map(|i| line[i + LISTENING.len()..].trim().to_owned());
                // Logged before announced: the log holds every line up to the address.
                log.push(&line);
                if let Some(addr) = addr {
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(START_TIMEOUT)).await?;
        let Ok(addr) = addr else {
            // Never left running behind a failed start.
            let _ = child.kill();
            let status = child.wait()?;
            bail!(
                "the server did not start within {START_TIMEOUT:?} ({status}); its last lines:\n{}",
                self.log_tail()
            );
        };
        self.base = format!("http://{addr}");
        self.child = Some(child);
        Ok(())
    }

    /// Whether a process is running (one that exited is reaped).
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => match child.try_wait() {
                Ok(None) => true,
                Ok(Some(_)) | Err(_) => {
                    self.child = None;
                    false
                }
            },
            None => false,
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// SIGTERM; waits up to `within` for the process to exit and returns how it exited. One
    /// that does not exit in time is killed, and that is an error.
    pub fn terminate(&mut self, within: Duration) -> anyhow::Result<ExitStatus> {
        let mut child = self.child.take().context("no server process to stop")?;
        let pid = libc::pid_t::try_from(child.id())?;
        // SAFETY: `kill` has no memory effects; `pid` is our own unreaped child.
        if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
            bail!("SIGTERM failed: {}", std::io::Error::last_os_error());
        }
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the server did not exit within {within:?} of SIGTERM (killed)");
            }
            std::thread::sleep(EXIT_POLL);
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's SQLite database.
    pub fn database(&self) -> PathBuf {
        self.dir.path().join("msgsync.db")
    }

    /// The last lines the server's processes logged.
    pub fn log_tail(&self) -> String {
        let tail = self.log.tail.lock().unwrap_or_else(PoisonError::into_inner);
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Whether one of the last lines logged (see [`ServerOptions::tail_lines`]) contains every
    /// one of `needles`: how a caller learns, say, which node of a cluster runs a sync.
    pub fn log_has(&self, needles: &[&str]) -> bool {
        let tail = self.log.tail.lock().unwrap_or_else(PoisonError::into_inner);
        tail.iter()
            .any(|line| needles.iter().all(|needle| line.contains(needle)))
    }

    /// Peak resident memory of the server process (VmHWM), in MiB.
    pub fn peak_rss_mb(&self) -> anyhow::Result<f64> {
        let pid = self.pid().context("the server is not running")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .context("no VmHWM")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()?;
        Ok(kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
