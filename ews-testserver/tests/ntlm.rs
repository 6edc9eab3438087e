//! NTLM's first leg, as requests_ntlm (exchangelib) and Windows send it: the whole request,
//! body included, with the Negotiate message. The 401 that carries the challenge must keep
//! the connection open, since the Authenticate message must come on it; a server that answers
//! without reading the body drops the connection whenever the body has not all arrived.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// Reads one response (status line, headers, a `Content-Length` body); gives the status and
/// the `WWW-Authenticate` value.
fn response(r: &mut BufReader<TcpStream>) -> (u16, String) {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).unwrap_or("0").parse().unwrap_or(0);
    let (mut len, mut auth) = (0usize, String::new());
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').unwrap();
        match k.to_ascii_lowercase().as_str() {
            "content-length" => len = v.trim().parse().unwrap(),
            "www-authenticate" => auth = v.trim().to_owned(),
            _ => {}
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (status, auth)
}

#[test]
fn the_challenge_keeps_the_connection_whatever_the_body() {
    let server = support::start(
        "[[mailbox]]\nsmtp = \"alice@contoso.com\"\npassword = \"pw\"\n[auth]\nschemes = [\"ntlm\"]\n",
    );
    // A Negotiate message as pyspnego sends it (40 bytes, with a version).
    let negotiate = "TlRMTVNTUAABAAAAN4II4gAAAAAoAAAAAAAAACgAAAAADAQAAAAADw==";
    let body = "<x/>".repeat(250_000);
    let mut sock = TcpStream::connect(&server.addr).unwrap();
    for _ in 0..2 {
        write!(
            sock,
            "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: {}\r\nAuthorization: NTLM {negotiate}\r\n\
             Content-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
            server.addr,
            body.len()
        )
        .unwrap();
        // the body in pieces, as a busy network delivers it
        for piece in body.as_bytes().chunks(64 << 10) {
            sock.write_all(piece).unwrap();
            sock.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let mut r = BufReader::new(sock.try_clone().unwrap());
        let (status, auth) = response(&mut r);
        assert_eq!(status, 401);
        assert!(auth.starts_with("NTLM TlRMTVNTUAACAAAA"), "{auth}");
    }
}
