//! Drives the real `taskgate` binary in a pseudo-terminal and reads its screen with a vt100
//! parser, as a person at the keyboard would see it.

#![allow(dead_code)] // each test file uses a different part of this harness

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub struct Screen {
    parser: vt100::Parser,
    output: Receiver<Vec<u8>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    /// Kept so the terminal can be resized; reads fail early once it is dropped.
    master: Box<dyn MasterPty + Send>,
    /// Every byte the program wrote, to check how it left the terminal.
    pub raw: Vec<u8>,
}

fn pty_size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

impl Screen {
    /// Starts taskgate with `args` in a `cols`×`rows` terminal, with `env` set.
    pub fn start(args: &[&str], env: &[(&str, &Path)], cols: u16, rows: u16) -> Screen {
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_taskgate"));
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Screen::start_command(cmd, cols, rows)
    }

    /// Starts `cmd` (taskgate, or a shell around it) in a `cols`×`rows` terminal.
    pub fn start_command(mut cmd: CommandBuilder, cols: u16, rows: u16) -> Screen {
        let pty = native_pty_system()
            .openpty(pty_size(cols, rows))
            .expect("open a pty");
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("TASKGATE_CONFIG");
        cmd.env_remove("TASKGATE_USER");
        let child = pty.slave.spawn_command(cmd).expect("spawn taskgate");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let writer = pty.master.take_writer().expect("writer");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let size = |n: u16| std::num::NonZeroU16::new(n.max(1)).expect("non-zero");
        let parser = vt100::Parser::new(size(rows), size(cols), 0);
        Screen {
            parser,
            output: rx,
            writer,
            child,
            master: pty.master,
            raw: Vec::new(),
        }
    }

    /// Resizes the terminal, as dragging the window's corner does (the program gets SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.master.resize(pty_size(cols, rows)).expect("resize");
        let size = |n: u16| std::num::NonZeroU16::new(n.max(1)).expect("non-zero");
        self.parser.set_size(size(rows), size(cols));
    }

    /// Reads whatever the program has written by now, without waiting for anything.
    pub fn drain(&mut self) {
        self.pump(Duration::from_millis(1));
    }

    /// Waits until the program has been silent for `quiet`: it has caught up with everything
    /// sent to it (keys, resizes), so the next key is read on its own.
    pub fn settle(&mut self, quiet: Duration) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.pump(quiet) {
            assert!(Instant::now() < deadline, "the program never went quiet");
        }
    }

    /// The program's process id, to read what it uses from /proc.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("a running child has a pid")
    }

    /// Whether the program is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("wait").is_none()
    }

    /// Reads what the program wrote, waiting up to `wait` for the first bytes; returns whether
    /// anything came.
    fn pump(&mut self, wait: Duration) -> bool {
        let Ok(bytes) = self.output.recv_timeout(wait) else {
            return false;
        };
        self.parser.process(&bytes);
        self.raw.extend_from_slice(&bytes);
        while let Ok(bytes) = self.output.try_recv() {
            self.parser.process(&bytes);
            self.raw.extend_from_slice(&bytes);
        }
        true
    }

    pub fn contents(&self) -> String {
        self.parser.screen().contents()
    }

    /// Waits until the screen shows `text`; panics with the screen after `timeout`.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.contents().contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?}; the screen shows:\n{}",
                self.contents()
            );
            self.pump(Duration::from_millis(50));
        }
    }

    /// Waits until `check` holds for the screen's text; panics with the screen after `timeout`.
    pub fn wait_until(&mut self, what: &str, timeout: Duration, check: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            if check(&self.contents()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}; the screen shows:\n{}",
                self.contents()
            );
            self.pump(Duration::from_millis(50));
        }
    }

    pub fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).expect("type");
        self.writer.flush().expect("flush");
    }

    /// Waits for the program to exit and returns whether it succeeded.
    pub fn wait_exit(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            self.pump(Duration::from_millis(20));
            if let Some(status) = self.child.try_wait().expect("wait") {
                self.pump(Duration::from_millis(50));
                return status.success();
            }
            assert!(
                Instant::now() < deadline,
                "taskgate did not exit:\n{}",
                self.contents()
            );
        }
    }

    /// Whether the program left the alternate screen and showed the cursor again (ratatui's
    /// restore), i.e. the user's shell is usable afterwards.
    pub fn terminal_restored(&self) -> bool {
        let out = String::from_utf8_lossy(&self.raw);
        let entered = out.rfind("\x1b[?1049h");
        let left = out.rfind("\x1b[?1049l");
        matches!((entered, left), (Some(e), Some(l)) if l > e)
            && !self.parser.screen().hide_cursor()
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
