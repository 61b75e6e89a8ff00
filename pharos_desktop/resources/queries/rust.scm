; Pharos tag query for Rust. Capture names are documented in python.scm.
; impl blocks are scopes: "impl Foo { fn new }" and "impl Trait for Foo { fn fmt }" give Foo.new, Foo.fmt
; (two impls of one method name, Display's and Debug's fmt, are two chunks of one symbol).
; macro_rules! macros are functions: no other kind fits, and they are called like one.

(function_item name: (identifier) @name) @definition.function
(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.trait
(macro_definition name: (identifier) @name) @definition.function
(impl_item type: (_) @name) @scope
; An inline module qualifies what it holds (tests.it_works, not a top-level it_works); "mod x;" has no body.
(mod_item name: (identifier) @name body: (_)) @namespace

(use_declaration) @import
(extern_crate_declaration) @import

(call_expression function: [(identifier) @call
                            (scoped_identifier name: (identifier) @call)
                            (field_expression field: (field_identifier) @call)])
(macro_invocation macro: (identifier) @call)
(identifier) @reference
(type_identifier) @reference
