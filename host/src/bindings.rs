//! Host bindings of the Spin 2.0 interfaces in `wit/spin.wit`.

wasmtime::component::bindgen!({
    path: "wit/spin.wit",
    world: "host",
    imports: { default: async | trappable },
    with: {
        "fermyon:spin/key-value.store": crate::key_value::SharedStore,
        "fermyon:spin/sqlite.connection": crate::sqlite::GuestConnection,
    },
});
