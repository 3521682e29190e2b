#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sprawl::fuzzing::sweep_state(data);
});
