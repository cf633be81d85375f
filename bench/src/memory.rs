//! Peak memory: the resident-set high-water mark (`VmHWM`) Linux keeps for
//! each process, for this process or the host started as a child.

/// Resets this process's high-water mark to its current resident set, so the
/// next reading covers only what runs from now on. Linux only; elsewhere the
/// mark keeps covering the whole run.
pub fn reset_own_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's high-water mark, in MiB.
pub fn own_peak_mib() -> Option<f64> {
    peak_mib("/proc/self/status")
}

/// The high-water mark of process `pid`, in MiB.
pub fn process_peak_mib(pid: u32) -> Option<f64> {
    peak_mib(&format!("/proc/{pid}/status"))
}

fn peak_mib(status_file: &str) -> Option<f64> {
    let status = std::fs::read_to_string(status_file).ok()?;
    vm_hwm_mib(&status)
}

/// `VmHWM:  123456 kB` of a `/proc/<pid>/status` text, in MiB.
fn vm_hwm_mib(status: &str) -> Option<f64> {
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_high_water_mark_is_read_from_the_status_file_in_mib() {
        let cases = [
            (
                "Name:\tbench\nVmPeak:\t 900000 kB\nVmHWM:\t  524288 kB\nVmRSS:\t 1 kB\n",
                Some(512.0),
            ),
            ("Name:\tbench\n", None),
            ("VmHWM:\tlots kB\n", None),
        ];
        for (status, expected) in cases {
            assert_eq!(vm_hwm_mib(status), expected, "{status}");
        }
    }

    #[test]
    fn this_process_has_a_high_water_mark_after_a_reset() {
        reset_own_peak();
        assert!(own_peak_mib().is_some_and(|mib| mib > 0.0));
    }
}
