/// CLIP's "lower" text cleaning, as in the reference tokenizer:
/// `ftfy.fix_text` -> `html.unescape` twice -> strip -> collapse white space -> `str.lower()`.
struct TextCleaner: Sendable {
    let fixer: TextFixer
    let entities: HTMLEntities

    init(entities: HTMLEntities) {
        self.entities = entities
        self.fixer = TextFixer(entities: entities)
    }

    func clean(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let fixed = fixer.fix(text)
        let unescaped = entities.unescape(entities.unescape(fixed))
        return PythonText.lower(PythonText.collapseWhitespace(unescaped))
    }
}
