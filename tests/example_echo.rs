//! `examples/echo.rs`, run as a real process and driven by real clients
//! over loopback: std's blocking `TcpStream`, and `nc` or `socat` when the
//! machine has one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;

/// The echo server, started on a free port; killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(example_binary())
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the echo example starts");
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().expect("a line").expect("utf-8");
        let address = first
            .strip_prefix("echo: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_owned();
        // Keep reading its output so that it never blocks on a full pipe.
        thread::spawn(move || lines.for_each(drop));
        Server { child, address }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `target/<profile>/examples/echo`, built first if it is not there (as
/// when this test is run alone with `--test example_echo`).
fn example_binary() -> PathBuf {
    let deps = std::env::current_exe().expect("the test binary");
    let profile_dir = deps
        .parent()
        .and_then(|d| d.parent())
        .expect("target/<profile>");
    let binary = profile_dir.join("examples").join("echo");
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "--example", "echo"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the echo example failed");
    }
    binary
}

#[test]
fn std_clients_get_their_bytes_back() {
    let server = Server::start();
    let clients: Vec<_> = (0..8_u8)
        .map(|id| {
            let address = server.address.clone();
            thread::spawn(move || {
                let mut stream = TcpStream::connect(&address).unwrap();
                for round in 0..20_u8 {
                    let message = vec![id.wrapping_mul(31) ^ round; 1024];
                    stream.write_all(&message).unwrap();
                    let mut back = vec![0; message.len()];
                    stream.read_exact(&mut back).unwrap();
                    assert_eq!(back, message);
                }
                stream.shutdown(Shutdown::Write).unwrap();
                let mut rest = Vec::new();
                stream.read_to_end(&mut rest).unwrap();
                assert!(rest.is_empty(), "nothing more after the echo");
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
}

#[test]
fn a_client_that_resets_does_not_stop_the_server() {
    let server = Server::start();
    {
        let mut rude = TcpStream::connect(&server.address).unwrap();
        rude.write_all(b"hello").unwrap();
        // Dropped without reading the echo: the kernel may answer with a
        // reset; the server logs it and goes on.
    }
    let mut polite = TcpStream::connect(&server.address).unwrap();
    polite.write_all(b"still there?").unwrap();
    let mut back = [0; 12];
    polite.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"still there?");
}

/// `nc` or `socat`, if installed, and the arguments that send stdin to
/// `host:port` and print what comes back.
fn netcat(address: &str) -> Option<Command> {
    let (host, port) = address.rsplit_once(':')?;
    let installed = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if installed("socat") {
        let mut command = Command::new("socat");
        command.args(["-t", "2", "-", &format!("TCP:{host}:{port}")]);
        Some(command)
    } else if installed("nc") {
        let mut command = Command::new("nc");
        command.args(["-N", host, port]);
        Some(command)
    } else {
        None
    }
}

#[test]
fn nc_or_socat_gets_its_line_back() {
    let server = Server::start();
    let Some(mut command) = netcat(&server.address) else {
        println!("skipped: neither socat nor nc is installed");
        return;
    };
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the client starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"echo this line\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "echo this line\n");
}
