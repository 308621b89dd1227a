"""A Jieba tokenizer that reads text the way the index does.

Registered in ``bot/config.yml`` as ``bot.components.GuideTokenizer``. Before jieba segments a
message it folds full-width forms, traditional characters and Cantonese into the Mandarin the
training data is written in (:func:`index.analysis.normalize`, :func:`index.analysis.fold_dialect`),
so 辦理護照要幾耐 and 办理护照要多久 give the classifier the same words.
"""

from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class GuideTokenizer(JiebaTokenizer):
    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        from index.analysis import fold_dialect, normalize

        text = message.get(attribute) or ""
        folded = fold_dialect(normalize(text)) if text else text
        # Offsets refer to the folded text; no entity here is extracted from token offsets
        # (options come from a regex on the original text).
        tokens = [Token(word, start) for word, start, _ in jieba.tokenize(folded) if word.strip()]
        return self._apply_token_pattern(tokens)
