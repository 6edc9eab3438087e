//! The README's main command: the seed scenarios against the local server, and its report.

#[path = "../examples/seeds.rs"]
#[allow(dead_code)]
mod seeds;

#[tokio::test]
async fn the_seed_scenarios_run_against_the_local_server() {
    // SAFETY-free: the example reads EWS_URL; make sure this run uses the local server.
    assert!(
        std::env::var("EWS_URL").is_err(),
        "unset EWS_URL to run this test"
    );
    let report = seeds::run().await.unwrap();
    let line = |needle: &str| report.lines().filter(|l| l.contains(needle)).count();
    assert_eq!(line("created   "), 4, "{report}");
    assert!(
        report.contains("eve@contoso.com") && report.contains("ErrorImpersonateUserDenied"),
        "{report}"
    );
    assert!(
        report.contains("created in boss@contoso.com's calendar"),
        "{report}"
    );
    assert!(
        report.contains("assistant@contoso.com    calendar Editor, inbox Reviewer"),
        "{report}"
    );
    assert!(report.contains("next 7 days: 1 item(s)"), "{report}");
    assert_eq!(line("(on behalf of)"), 1, "{report}");
    assert_eq!(line("(send as)"), 4, "{report}");
}
