package fi.kb.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.fi.FinnishAnalyzer;
import org.apache.lucene.analysis.sv.SwedishAnalyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/**
 * Lucene's language analyzers under the names of Elasticsearch's built-in ones, with the
 * built-ins' defaults (the language's stop words, no stem exclusions). Test node only.
 */
public final class LanguageAnalyzers {
    private LanguageAnalyzers() {}

    @NamedComponent("finnish")
    public static final class Finnish implements AnalyzerFactory {
        @Override
        public Analyzer create() {
            return new FinnishAnalyzer();
        }
    }

    @NamedComponent("swedish")
    public static final class Swedish implements AnalyzerFactory {
        @Override
        public Analyzer create() {
            return new SwedishAnalyzer();
        }
    }

    @NamedComponent("english")
    public static final class English implements AnalyzerFactory {
        @Override
        public Analyzer create() {
            return new EnglishAnalyzer();
        }
    }
}
