// Matches JSON Schema patterns the way a Java validator does: java.util.regex, find() (draft-04 patterns are
// unanchored searches). Input on stdin, UTF-8 as hex so that any character survives: the first line holds the
// patterns, each later line one candidate string ("x" + hex). Prints one line of 0/1 per candidate.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.regex.Pattern;

public class PatternProbe {
    static String decode(String token) {
        return new String(HexFormat.of().parseHex(token.substring(1)), StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        String[] tokens = in.readLine().trim().split(" ");
        Pattern[] patterns = new Pattern[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            patterns[i] = Pattern.compile(decode(tokens[i]));
        }
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String candidate = decode(line.trim());
            for (Pattern pattern : patterns) {
                out.append(pattern.matcher(candidate).find() ? '1' : '0');
            }
            out.append('\n');
        }
        System.out.print(out);
    }
}
