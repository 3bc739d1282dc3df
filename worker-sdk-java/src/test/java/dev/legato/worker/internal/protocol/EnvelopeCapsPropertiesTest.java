package dev.legato.worker.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

/** The failure-envelope caps shared by every SDK, as properties. */
class EnvelopeCapsPropertiesTest {
  @Property
  void aCapTextHasAtMostMaxCharactersAndKeepsItsBeginning(
      @ForAll @StringLength(max = 300) String text,
      @ForAll @IntRange(min = 20, max = 200) int max) {
    String capped = EnvelopeCaps.cap(text, max);
    int chars = capped.codePointCount(0, capped.length());
    assertTrue(chars <= max, chars + " > " + max);
    if (text.codePointCount(0, text.length()) <= max) {
      assertEquals(text, capped);
    } else {
      assertTrue(capped.endsWith(EnvelopeCaps.SUFFIX));
      String kept = capped.substring(0, capped.length() - EnvelopeCaps.SUFFIX.length());
      assertTrue(text.startsWith(kept));
      assertEquals(max, chars);
    }
  }

  @Property
  void aCutNeverSplitsASurrogatePair(@ForAll @IntRange(min = 15, max = 60) int max) {
    String emoji = "\uD83D\uDE00".repeat(100); // 100 code points, 200 chars
    String capped = EnvelopeCaps.cap(emoji, max);
    String kept = capped.substring(0, capped.length() - EnvelopeCaps.SUFFIX.length());
    assertFalse(Character.isHighSurrogate(kept.charAt(kept.length() - 1)));
    assertEquals(max - EnvelopeCaps.SUFFIX.length(), kept.codePointCount(0, kept.length()));
  }

  @Property(tries = 50)
  void detailsOverTheLimitAreReplacedBySizeOnly(
      @ForAll @IntRange(min = 0, max = 70_000) int length) {
    String json = "\"" + "é".repeat(length) + "\"";
    int bytes = json.getBytes(StandardCharsets.UTF_8).length;
    String capped = EnvelopeCaps.capDetails(json);
    if (bytes <= EnvelopeCaps.DETAILS_BYTES) {
      assertEquals(json, capped);
    } else {
      assertEquals("{\"truncated\":true,\"bytes\":" + bytes + "}", capped);
    }
  }

  @Property
  void utf8LengthMatchesTheJdkForWellFormedText(@ForAll String text) throws Exception {
    if (hasLoneSurrogate(text)) {
      return;
    }
    assertEquals(text.getBytes(StandardCharsets.UTF_8).length, Utf8.strictLength(text));
  }

  private static boolean hasLoneSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
