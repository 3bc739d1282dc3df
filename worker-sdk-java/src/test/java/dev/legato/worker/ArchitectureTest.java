package dev.legato.worker;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The SDK's packages form no cycle: the API ({@code dev.legato.worker}) sits on top of the
 * internals, which never use it, and no two internal packages depend on each other both ways. The
 * API client ({@code dev.legato.client}) and the workflow builders ({@code dev.legato.workflow})
 * stand beside the worker: the client uses the builders, neither uses the worker.
 */
class ArchitectureTest {
  private static final JavaClasses SDK =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.legato");

  @Test
  void noPackageCycles() {
    slices().matching("dev.legato.(**)").should().beFreeOfCycles().check(SDK);
  }

  @Test
  void theInternalsNeverUseTheApi() {
    noClasses()
        .that()
        .resideInAPackage("dev.legato.worker.internal..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.legato.worker")
        .check(SDK);
  }

  /** The builders are plain data: usable without the client or the worker. */
  @Test
  void theBuildersStandAlone() {
    noClasses()
        .that()
        .resideInAPackage("dev.legato.workflow..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.legato.client..", "dev.legato.worker..")
        .check(SDK);
  }

  /** The API client needs no Kafka: it never uses the worker, nor the worker it. */
  @Test
  void theClientAndTheWorkerAreApart() {
    noClasses()
        .that()
        .resideInAPackage("dev.legato.client..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.legato.worker..", "org.apache.kafka..")
        .check(SDK);
    noClasses()
        .that()
        .resideInAPackage("dev.legato.worker..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.legato.client..")
        .check(SDK);
  }
}
