// `async unsafe fn`: not supported yet; the error points at `unsafe`.
use desugar::desugar;

#[desugar]
async unsafe fn read(pointer: *const u32) -> u32 {
    unsafe { *pointer }
}

fn main() {
    let value = 1;
    let _ = unsafe { read(&value) };
}
