; Pharos import query for Rust: "mod x;" files and use trees. Capture names: imports/python.scm.

(mod_item name: (identifier) @import.mod !body)
(use_declaration argument: (_) @import.use)
